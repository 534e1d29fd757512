"""The matrix's in-grace list (P70) refuses an empty code instead of answering as if
no filter had been given (P16: bad input gets a clear error)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("P70", "P16")
@pytest.mark.parametrize("query", ["job_function=", "requirement=", "job_function=&requirement="])
def test_an_empty_code_is_a_400_naming_the_parameter(coordinator, client, query):
    client.force_login(coordinator)
    response = client.get(f"/api/v1/matrix/in-grace/?{query}")
    assert response.status_code == 400
    for name in (part.split("=")[0] for part in query.split("&")):
        assert response.json()["errors"][name] == ["This field may not be empty."]


@pytest.mark.requirement("P70")
def test_no_filter_lists_the_whole_matrix(coordinator, client):
    client.force_login(coordinator)
    response = client.get("/api/v1/matrix/in-grace/")
    assert response.status_code == 200
    assert response.json() == []
