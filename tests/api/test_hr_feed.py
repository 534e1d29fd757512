"""P7, P8: the HR feed through the organisation services (G2, G6 fire)."""

import pytest

from qualify.audit.models import AuditEvent
from qualify.org.models import JobAssignment, Person
from qualify.training.models import Assignment, AssignmentStatus
from tests.api.conftest import bearer

pytestmark = pytest.mark.requirement("P7")


@pytest.fixture
def hr(make_token):
    return bearer(make_token("people-write", "read", name="hr")[1])


@pytest.fixture
def sop(plant):
    document = plant.document("SOP-001")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("RQ-SOP-001", document=document)
    plant.matrix(requirement)
    return requirement


def payload(number="E9001", **extra):
    body = {
        "employee_number": number,
        "full_name": "Ada Byrne",
        "email": "ada@plant.example",
        "site": "DUB",
        "job_assignments": [{"job_function": "OP", "valid_from": "2024-01-01T00:00:00Z"}],
    }
    body.update(extra)
    return body


@pytest.mark.requirement("G2")
def test_creating_a_person_with_a_job_assigns_training(hr, sop):
    response = hr.post("/api/v1/people/", payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["site"] == "DUB"
    assert body["job_assignments"][0]["job_function"] == "OP"
    person = Person.objects.get(employee_number="E9001")
    assert Assignment.objects.filter(person=person, requirement=sop, status="open").exists()
    event = AuditEvent.objects.get(action="org.person.created", object_id=str(person.pk))
    assert event.actor_username == "api-hr"


def test_sending_the_same_person_again_changes_nothing(hr, plant):
    hr.post("/api/v1/people/", payload(), format="json")
    before = AuditEvent.objects.exclude(action="api.token.used").count()
    response = hr.post("/api/v1/people/", payload(), format="json")
    assert response.status_code == 200
    assert AuditEvent.objects.exclude(action="api.token.used").count() == before


def test_update_and_ending_a_job_assignment(hr, plant):
    hr.post("/api/v1/people/", payload(), format="json")
    changed = payload(
        full_name="Ada Byrne-Walsh",
        job_assignments=[
            {
                "job_function": "OP",
                "valid_from": "2024-01-01T00:00:00Z",
                "valid_to": "2025-01-01T00:00:00Z",
            }
        ],
        reason="Married name; moved to QC",
    )
    response = hr.post("/api/v1/people/", changed, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["full_name"] == "Ada Byrne-Walsh"
    assert JobAssignment.objects.get(person__employee_number="E9001").valid_to is not None
    event = AuditEvent.objects.get(action="org.person.updated")
    assert event.reason == "Married name; moved to QC"


@pytest.mark.requirement("G6")
def test_deactivating_cancels_open_assignments(hr, sop):
    hr.post("/api/v1/people/", payload(), format="json")
    response = hr.post("/api/v1/people/E9001/deactivate/", {"reason": "Left"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["active"] is False
    assert not Assignment.objects.filter(
        person__employee_number="E9001", status=AssignmentStatus.OPEN
    ).exists()


def test_field_errors_are_a_problem_document(hr, plant):
    response = hr.post("/api/v1/people/", payload(site="NOPE", email="x"), format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("validation")
    assert set(problem["errors"]) >= {"email"}


@pytest.mark.requirement("P8")
def test_a_retry_with_the_same_idempotency_key_writes_nothing_twice(hr, plant):
    first = hr.post("/api/v1/people/", payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    events = AuditEvent.objects.exclude(action="api.token.used").count()
    again = hr.post("/api/v1/people/", payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.exclude(action="api.token.used").count() == events
    other = hr.post("/api/v1/people/", payload("E9002"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert not Person.objects.filter(employee_number="E9002").exists()


def test_bulk_is_all_or_nothing_with_errors_per_item(hr, plant):
    good, bad = payload("E1"), payload("E2", site="NOPE")
    response = hr.post("/api/v1/people/bulk/", {"people": [good, bad]}, format="json")
    assert response.status_code == 400
    assert any(key.startswith("people.1") for key in response.json()["errors"])
    assert not Person.objects.filter(employee_number="E1").exists()
    response = hr.post("/api/v1/people/bulk/", {"people": [good, payload("E2")]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2


def test_bulk_service_error_rolls_back_everything(hr, plant):
    overlapping = payload(
        "E3",
        job_assignments=[
            {"job_function": "OP", "valid_from": "2024-01-01T00:00:00Z"},
            {"job_function": "OP", "valid_from": "2024-06-01T00:00:00Z"},
        ],
    )
    response = hr.post(
        "/api/v1/people/bulk/", {"people": [payload("E1"), overlapping]}, format="json"
    )
    assert response.status_code == 400
    assert any(key.startswith("people.1") for key in response.json()["errors"])
    assert not Person.objects.filter(employee_number__in=["E1", "E3"]).exists()
