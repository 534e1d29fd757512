"""P16: no server error on bad input. Malformed ids, numbers and booleans in query
strings give 400 naming the parameter; NUL characters in paths, query strings, forms
and JSON are refused with 400; times without a zone are refused (T1) by the API, the
gate and executions with a message saying a zone is required; two creations of the
same person at once give 409 with the existing person."""

import datetime as dt

import pytest
from django.utils import timezone

from qualify.org.models import Person
from tests.api.conftest import bearer

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P16")]

NAIVE = "2026-03-01T08:00:00"


@pytest.fixture
def scene(plant):
    document = plant.document("SOP-010")
    plant.approve(plant.revise(document, "1"), effective_from=timezone.now() - dt.timedelta(days=3))
    requirement = plant.requirement("RQ-010", document=document)
    plant.matrix(requirement)
    trained, _untrained = plant.operator_crew(2)
    plant.complete(trained, requirement)
    return trained


@pytest.fixture
def api(make_token):
    return bearer(make_token("read", "executions-write", "people-write", name="integration")[1])


def refused(response, field: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    return " ".join(body["errors"][field])


# --- T1: a time without a zone ------------------------------------------------------


@pytest.mark.requirement("T1")
def test_the_gate_refuses_a_time_without_a_zone(api, scene):
    response = api.get(
        "/api/v1/qualifications/check",
        {"person": scene.employee_number, "document": "SOP-010", "at": NAIVE},
    )
    assert "time zone is required" in refused(response, "at")
    batch = api.post(
        "/api/v1/qualifications/check",
        {"pairs": [{"person": scene.employee_number, "document": "SOP-010"}], "as_known_at": NAIVE},
        format="json",
    )
    assert "time zone is required" in refused(batch, "as_known_at")


@pytest.mark.requirement("T1")
def test_the_gate_accepts_a_time_with_its_offset(api, scene):
    response = api.get(
        "/api/v1/qualifications/check",
        {"person": scene.employee_number, "document": "SOP-010", "at": NAIVE + "+01:00"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["at"].startswith("2026-03-01T07:00:00")


@pytest.mark.requirement("T1", "E5")
def test_an_execution_with_a_naive_attested_time_is_refused_and_not_recorded(api, scene):
    from qualify.quality.models import Execution

    body = {
        "person": scene.employee_number,
        "batch": "B-1",
        "documents": ["SOP-010"],
        "claimed_at": (timezone.now() - dt.timedelta(hours=1)).replace(tzinfo=None).isoformat(),
    }
    response = api.post("/api/v1/executions/", body, format="json")
    assert "time zone is required" in refused(response, "claimed_at")
    assert Execution.objects.count() == 0


@pytest.mark.requirement("T1", "P7")
def test_the_hr_feed_refuses_a_job_start_without_a_zone(api, plant):
    person = {
        "employee_number": "E9001",
        "full_name": "Ada Byrne",
        "site": "DUB",
        "job_assignments": [{"job_function": "OP", "valid_from": NAIVE}],
    }
    response = api.post("/api/v1/people/", person, format="json")
    assert "time zone is required" in refused(response, "job_assignments.0.valid_from")
    assert not Person.objects.filter(employee_number="E9001").exists()


@pytest.mark.requirement("T1")
def test_a_date_filter_without_a_zone_is_refused(api, plant):
    response = api.get("/api/v1/assignments/", {"due_before": NAIVE})
    assert "time zone is required" in refused(response, "due_before")
    assert api.get("/api/v1/assignments/", {"due_before": NAIVE + "Z"}).status_code == 200


def test_the_document_timeline_refuses_a_time_without_a_zone(api, scene):
    response = api.get("/api/v1/documents/SOP-010/effective/", {"at": NAIVE})
    assert "time zone is required" in refused(response, "at")


# --- malformed query parameters ----------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/people/?active=maybe", "active"),
        ("/api/v1/assignments/?overdue=2", "overdue"),
        ("/api/v1/assignments/?status=", "status"),
        ("/api/v1/assignments/?due_before=yesterday", "due_before"),
        # A "%" in the value once reached django-filter's message formatting: 500.
        ("/api/v1/assignments/?due_before=%25%3C%C3%95", "due_before"),
        ("/api/v1/people/?page_size=x", "page_size"),
        ("/api/v1/people/?page_size=0", "page_size"),
        ("/api/v1/executions/?page_size=1.5", "page_size"),
        ("/api/v1/webhooks/deliveries/?subscription=abc", "subscription"),
    ],
)
def test_a_malformed_query_parameter_gives_400_naming_it(plant, make_token, url, field):
    client = bearer(make_token("read", "webhooks-manage")[1])
    refused(client.get(url), field)


def test_a_letter_where_an_id_belongs_in_the_path_is_a_problem_json_404(make_token):
    client = bearer(make_token("webhooks-manage")[1])
    response = client.post("/api/v1/webhooks/subscriptions/abc/deactivate/", {"reason": "x"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# --- NUL characters ----------------------------------------------------------------


def test_nul_in_a_query_string_is_refused(api, plant):
    response = api.get("/api/v1/people/", {"employee_number": "E1\x00"})
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert "employee_number" in response.json()["detail"]


def test_nul_in_a_path_is_refused(api, plant):
    response = api.get("/api/v1/people/E1%00/")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_nul_in_json_is_refused_and_nothing_is_written(api, plant):
    person = {"employee_number": "E9002", "full_name": "Ada\x00Byrne", "site": "DUB"}
    response = api.post("/api/v1/people/", person, format="json")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not Person.objects.filter(employee_number="E9002").exists()


def test_nul_in_a_form_is_refused(client, coordinator):
    client.force_login(coordinator)
    response = client.post("/accounts/login/", {"username": "a\x00b", "password": "x"})
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_an_escaped_backslash_u0000_is_text_not_nul(api, plant):
    person = {"employee_number": "E9003", "full_name": "Ada \\u0000 Byrne", "site": "DUB"}
    response = api.post("/api/v1/people/", person, format="json")
    assert response.status_code == 201, response.json()


# --- duplicate creation race ---------------------------------------------------------


@pytest.mark.requirement("P7")
def test_two_creations_of_one_person_at_once_give_409_with_the_existing_one(
    api, plant, monkeypatch
):
    person = {"employee_number": "E9100", "full_name": "Ada Byrne", "site": "DUB"}
    assert api.post("/api/v1/people/", person, format="json").status_code == 201
    # The race: the second request looked for E9100 and checked uniqueness before the
    # first committed, so both reach the insert.
    real_filter = Person.objects.filter
    looked = []

    def filter_as_before_the_first_commit(*args, **kwargs):
        if kwargs == {"employee_number": "E9100"} and not looked:
            looked.append(True)  # the lookup before the insert saw nothing
            return real_filter(pk__in=[])
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Person.objects, "filter", filter_as_before_the_first_commit, raising=False)
    monkeypatch.setattr(Person, "validate_unique", lambda self, exclude=None: None)
    monkeypatch.setattr(Person, "validate_constraints", lambda self, exclude=None: None)
    second = api.post("/api/v1/people/", {**person, "full_name": "Ada B."}, format="json")
    monkeypatch.undo()
    assert second.status_code == 409, second.content
    body = second.json()
    assert body["existing"]["employee_number"] == "E9100"
    assert body["existing"]["full_name"] == "Ada Byrne"
    assert Person.objects.filter(employee_number="E9100").count() == 1


@pytest.mark.parametrize("body", ["3699", "[1, 2]", '"text"', "null"])
def test_a_json_body_that_is_not_an_object_is_refused(api, plant, body):
    response = api.post("/api/v1/people/", body, content_type="application/json")
    assert response.status_code == 400
    assert "must be a JSON object" in response.json()["detail"]


def test_an_id_too_large_for_the_database_is_an_invalid_choice(plant):
    from django import forms

    from qualify.edge import ModelMultipleIdsField
    from qualify.org.models import Site

    class Choose(forms.Form):
        sites = ModelMultipleIdsField(queryset=Site.objects.all())

    form = Choose({"sites": ["9" * 20]})
    assert not form.is_valid()
    assert "is not a valid value" in form.errors["sites"][0]
