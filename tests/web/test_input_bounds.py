"""Every input is bounded (issue 10 point 5, P19): request bodies, form fields, query
parameters, list pages and imported files have a maximum size. Over it, the request is
refused with a message that says which bound, and nothing is written."""

import json
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from qualify.api.csv_import import Refused
from qualify.api.legacy.reading import read_table
from qualify.documents.models import Document
from qualify.org.models import Person

pytestmark = pytest.mark.requirement("P19")

LONG = "x" * 10_000
PEOPLE_CSV = (
    "employee_number,full_name,email,site,department,manager,active,job_function,"
    "valid_from,valid_to\n"
    "E100,Brid Walsh,,DUB,,,true,,,\n"
    "E101,Cian Doyle,,DUB,,,true,,,\n"
    "E102,Dara Kelly,,DUB,,,true,,,\n"
)


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


# --- query parameters ----------------------------------------------------------------


def test_a_10000_character_search_in_the_header_answers_400_without_a_query(
    client, plant, coordinator, django_assert_num_queries
):
    client.force_login(coordinator)
    with django_assert_num_queries(0):
        response = client.get(reverse("web:search"), {"q": LONG})
    assert response.status_code == 400
    assert "search text is longer than 200 characters" in response.content.decode()


def test_a_search_of_ordinary_length_is_answered(client, plant, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("web:search"), {"q": "x" * 100}).status_code == 200


def test_an_api_filter_q_of_10000_characters_answers_400_problem(plant, admin):
    response = api(admin).get("/api/v1/users/", {"q": LONG})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "longer than 200 characters" in response.json()["detail"]


def test_any_query_parameter_over_the_bound_answers_400(plant, coordinator, settings):
    settings.QUALIFY_MAX_QUERY_CHARS = 50
    response = api(coordinator).get("/api/v1/people/", {"site": "D" * 51})
    assert response.status_code == 400
    assert "The value of 'site' is longer than 50 characters" in response.json()["detail"]
    assert api(coordinator).get("/api/v1/people/", {"site": "D" * 50}).status_code != 400


# --- list pages ----------------------------------------------------------------------


@pytest.mark.parametrize("size", ["1001", "0", "-5", "ten", "9" * 40])
def test_an_over_size_or_malformed_api_page_size_answers_400(plant, coordinator, size):
    response = api(coordinator).get("/api/v1/people/", {"page_size": size})
    assert response.status_code == 400
    assert "from 1 to 1000" in json.dumps(response.json())


def test_the_largest_api_page_size_is_answered(plant, coordinator):
    assert api(coordinator).get("/api/v1/people/", {"page_size": "1000"}).status_code == 200


@pytest.mark.parametrize("page", ["abc", "9" * 40, "-1", "0"])
def test_a_page_number_out_of_range_or_malformed_shows_a_page_of_the_list(
    client, plant, coordinator, page
):
    plant.person("Brid Walsh")
    client.force_login(coordinator)
    response = client.get(reverse("web:org_people"), {"page": page})
    assert response.status_code == 200
    assert 1 <= response.context["page"].number <= response.context["page"].paginator.num_pages


# --- request bodies ------------------------------------------------------------------


def test_an_over_size_json_body_answers_413_and_writes_nothing(plant, coordinator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    people = [
        {"employee_number": f"E{n}", "full_name": f"Person {n}", "site": "DUB"} for n in range(200)
    ]
    before = Person.objects.count()
    response = api(coordinator).post(
        "/api/v1/people/bulk/", {"people": people, "reason": "HR feed"}, format="json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "larger than 4 KB" in response.json()["detail"]
    assert Person.objects.count() == before


def test_the_hr_bulk_endpoint_refuses_more_than_1000_people_and_writes_nothing(plant, coordinator):
    people = [
        {"employee_number": f"E{n}", "full_name": f"P {n}", "site": "DUB"} for n in range(1001)
    ]
    before = Person.objects.count()
    response = api(coordinator).post(
        "/api/v1/people/bulk/", {"people": people, "reason": "HR feed"}, format="json"
    )
    assert response.status_code == 400
    assert "1000" in json.dumps(response.json())
    assert Person.objects.count() == before


def test_an_over_size_form_post_answers_413_and_writes_nothing(
    client, plant, doc_controller, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    client.force_login(doc_controller)
    response = client.post(
        reverse("web:document_new"),
        urlencode({"number": "SOP-900", "title": "T" * 5000, "doc_type": "sop"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "larger than 4 KB" in response.content.decode()
    assert not Document.objects.filter(number="SOP-900").exists()


def test_a_form_with_too_many_fields_answers_400_and_writes_nothing(
    client, plant, doc_controller, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    client.force_login(doc_controller)
    fields = {f"f{n}": "1" for n in range(60)}
    response = client.post(
        reverse("web:document_new"), {"number": "SOP-901", "title": "Many", **fields}
    )
    assert response.status_code == 400
    assert not Document.objects.filter(number="SOP-901").exists()


def test_a_multipart_body_over_the_upload_bound_answers_413(
    client, plant, doc_controller, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.QUALIFY_MAX_UPLOAD_MB = 1
    client.force_login(doc_controller)
    big = StringIO("a" * (1024 * 1024 + 2048))
    big.name = "big.txt"
    response = client.post(
        reverse("web:document_new"), {"number": "SOP-902", "title": "Big", "file": big}
    )
    assert response.status_code == 413
    assert "a file may be at most 1 MB" in response.content.decode()
    assert not Document.objects.filter(number="SOP-902").exists()


# --- imported files ------------------------------------------------------------------


def _import(path, user):
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "people", str(path), "--as", user.username, stderr=err)
    return err.getvalue()


def test_an_hr_file_over_the_size_bound_is_refused_and_nothing_imported(
    tmp_path, plant, coordinator, settings
):
    settings.QUALIFY_IMPORT_MAX_MB = 1
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV + "E103,Eve," + "x" * (1024 * 1024) + ",DUB,,,true,,,\n")
    assert "larger than 1 MB" in _import(path, coordinator)
    assert not Person.objects.filter(employee_number__startswith="E10").exists()


def test_an_hr_file_over_the_row_bound_is_refused_and_nothing_imported(
    tmp_path, plant, coordinator, settings
):
    settings.QUALIFY_IMPORT_MAX_ROWS = 2
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV)
    assert "more than 2 rows" in _import(path, coordinator)
    assert not Person.objects.filter(employee_number__startswith="E10").exists()
    settings.QUALIFY_IMPORT_MAX_ROWS = 3
    call_command("import", "people", str(path), "--as", coordinator.username, stdout=StringIO())
    assert Person.objects.filter(employee_number__startswith="E10").count() == 3


def test_a_legacy_export_over_the_row_or_size_bound_is_refused(tmp_path, settings):
    path = tmp_path / "legacy.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6\n")
    settings.QUALIFY_IMPORT_MAX_ROWS = 2
    with pytest.raises(Refused, match="more than 2 rows"):
        read_table(path, columns=["a", "b"], required={"a"})
    settings.QUALIFY_IMPORT_MAX_ROWS = 3
    assert len(read_table(path, columns=["a", "b"], required={"a"}).rows) == 3
    settings.QUALIFY_IMPORT_MAX_MB = 1
    path.write_text("a,b\n" + "1,2\n" * 300_000)
    with pytest.raises(Refused, match="larger than 1 MB"):
        read_table(path, columns=["a", "b"], required={"a"})
