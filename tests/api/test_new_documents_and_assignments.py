"""The API: a new document with its first version, ad-hoc assignments and their
cancellation, and record corrections, each with field-level refusals."""

import datetime as dt

import pytest
from django.utils import timezone

from qualify.documents.models import Document, VersionStatus
from qualify.training import services as training
from qualify.training.models import Assignment, AssignmentStatus, TrainingRecord
from tests.api.conftest import session
from tests.personas import PASSWORD
from tests.quality.plant import creds

REASON = "Regulatory submission team"


def future(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


@pytest.mark.requirement("Q1", "A1")
def test_a_document_is_created_with_its_first_version_and_numbered_by_its_scheme(
    doc_controller, client_for
):
    api = session(doc_controller)
    body = {
        "doc_type": "sop",
        "title": "Line clearance",
        "owner": doc_controller.username,
        "review_interval_months": 12,
        "content_text": "1. Remove the labels.",
    }
    created = api.post("/api/v1/documents/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["number"] == "SOP-001"
    assert created.json()["review_interval_months"] == 12
    document = Document.objects.get()
    assert document.versions.get().status == VersionStatus.DRAFT
    duplicate = api.post("/api/v1/documents/", {**body, "number": "sop-001"}, format="json")
    assert duplicate.status_code == 400
    assert "already used" in str(duplicate.json())
    assert "number" in str(duplicate.json())
    assert Document.objects.count() == 1
    # A token with the documents-write scope creates too; one without is refused.
    assert client_for("read").post("/api/v1/documents/", body, format="json").status_code == 403


@pytest.mark.requirement("A1")
def test_only_a_document_controller_creates_a_document_through_the_api(coordinator):
    response = session(coordinator).post(
        "/api/v1/documents/",
        {"doc_type": "sop", "title": "x", "owner": coordinator.username, "content_text": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert not Document.objects.exists()


@pytest.fixture
def reading(plant):
    document = plant.document("SOP-600")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("RU-SOP-600", document=document)
    return document, requirement


@pytest.mark.requirement("G5", "G6", "G7")
def test_a_coordinator_assigns_ad_hoc_and_cancels_through_the_api(coordinator, plant, reading):
    document, requirement = reading
    ann = plant.person("Ann")
    api = session(coordinator)
    past = api.post(
        "/api/v1/assignments/adhoc/",
        {
            "document": document.number,
            "people": [ann.employee_number],
            "due_at": future(-1),
            "reason": REASON,
        },
        format="json",
    )
    assert past.status_code == 400
    assert "due_at" in str(past.json())
    made = api.post(
        "/api/v1/assignments/adhoc/",
        {
            "document": document.number,
            "people": [ann.employee_number],
            "due_at": future(7),
            "reason": REASON,
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    [row] = made.json()["created"]
    assert (row["person"], row["requirement"], row["reason_text"]) == (
        ann.employee_number,
        requirement.code,
        REASON,
    )
    url = f"/api/v1/assignments/{row['id']}/cancel/"
    assert api.post(url, {"reason": ""}, format="json").status_code == 400
    cancelled = api.post(url, {"reason": "Left the team"}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = api.post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 400
    assert "only an open assignment" in str(again.json())
    assert Assignment.objects.get(pk=row["id"]).status == AssignmentStatus.CANCELLED


@pytest.mark.requirement("G5")
def test_an_employee_cannot_assign_through_the_api(employee, plant, reading):
    _, requirement = reading
    ann = plant.person("Ann")
    response = session(employee).post(
        "/api/v1/assignments/adhoc/",
        {
            "requirement": requirement.code,
            "people": [ann.employee_number],
            "due_at": future(3),
            "reason": REASON,
        },
        format="json",
    )
    assert response.status_code == 403
    assert not Assignment.objects.filter(person=ann).exists()


@pytest.mark.requirement("R1", "S1")
def test_a_record_is_corrected_through_the_api_with_the_trainee_signature(
    coordinator, plant, reading
):
    _, requirement = reading
    ann = plant.person("Ann")
    original = training.record_read_and_understood(
        actor=ann.user, credentials=creds(ann.user), person=ann, requirement=requirement
    )
    api = session(coordinator)
    url = f"/api/v1/records/{original.pk}/correct/"
    unsigned = api.post(url, {"reason": "Place not noted", "notes": "Line terminal"}, format="json")
    assert unsigned.status_code == 400
    assert "trainee_password" in str(unsigned.json())
    no_reason = api.post(
        url,
        {
            "notes": "Line terminal",
            "trainee_username": ann.user.username,
            "trainee_password": PASSWORD,
        },
        format="json",
    )
    assert no_reason.status_code == 400
    assert "reason" in str(no_reason.json())
    done = api.post(
        url,
        {
            "reason": "Place not noted",
            "notes": "Line terminal",
            "trainee_username": ann.user.username,
            "trainee_password": PASSWORD,
        },
        format="json",
    )
    assert done.status_code == 201, done.json()
    assert done.json()["supersedes"] == original.pk
    assert done.json()["correction_reason"] == "Place not noted"
    assert [s["meaning"] for s in done.json()["signatures"]] == ["read_and_understood"]
    assert TrainingRecord.objects.filter(person=ann).count() == 2
