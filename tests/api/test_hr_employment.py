"""The HR feed and the people API carry the employment interval (E5, Q9)."""

import pytest

from qualify.org.models import Person
from tests.api.conftest import bearer
from tests.api.test_hr_feed import payload

pytestmark = pytest.mark.requirement("P7")


@pytest.fixture
def hr(make_token):
    return bearer(make_token("people-write", "read", name="hr")[1])


@pytest.mark.requirement("E5", "Q9")
def test_the_hr_feed_sets_when_the_employment_began_and_when_the_person_left(hr, plant):
    body = payload(employed_from="2023-12-01T08:00:00Z")
    response = hr.post("/api/v1/people/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["employed_from"] == "2023-12-01T08:00:00Z"
    assert response.json()["left_at"] is None
    body.update(active=False, left_at="2024-06-30T17:00:00Z")
    response = hr.post("/api/v1/people/", body, format="json")
    assert response.status_code == 200, response.json()
    person = Person.objects.get(employee_number="E9001")
    assert person.left_at.isoformat() == "2024-06-30T17:00:00+00:00"
    assert person.deactivated_at > person.left_at
    assert response.json()["left_at"] == "2024-06-30T17:00:00Z"


@pytest.mark.requirement("Q9")
def test_deactivating_through_the_api_takes_the_leaving_time(hr, plant):
    hr.post("/api/v1/people/", payload(employed_from="2023-12-01T08:00:00Z"), format="json")
    response = hr.post(
        "/api/v1/people/E9001/deactivate/",
        {"reason": "Resigned", "left_at": "2024-01-31T17:00:00Z"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["left_at"] == "2024-01-31T17:00:00Z"
    assert response.json()["active"] is False


@pytest.mark.requirement("E5", "Q9")
def test_the_csv_import_takes_the_employment_columns(tmp_path, plant, coordinator):
    from django.core.management import call_command

    path = tmp_path / "people.csv"
    path.write_text(
        "employee_number,full_name,site,active,employed_from,left_at\n"
        "E200,Eimear Nolan,DUB,true,2023-05-02T08:00:00Z,\n"
        "E201,Fionn Ryan,DUB,false,2023-01-09T08:00:00Z,2024-02-29T17:00:00Z\n"
    )
    call_command("import", "people", str(path), "--as", coordinator.username)
    eimear = Person.objects.get(employee_number="E200")
    fionn = Person.objects.get(employee_number="E201")
    assert eimear.employed_from.isoformat() == "2023-05-02T08:00:00+00:00"
    assert eimear.left_at is None
    assert not fionn.active
    assert fionn.left_at.isoformat() == "2024-02-29T17:00:00+00:00"
