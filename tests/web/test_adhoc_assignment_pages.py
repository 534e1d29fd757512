"""Coordinator pages: assign training ad hoc with a due date and a reason, cancel an
assignment with a reason, and correct a training record with both records shown and
the original's trail saying it was corrected."""

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.training import services as training
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    TrainingRecord,
)
from tests.personas import PASSWORD
from tests.training.support import DAY

REASON = "Regulatory submission team"


@pytest.fixture
def team(plant):
    document = plant.document("SOP-500")
    requirement = plant.requirement("RU-SOP-500", document=document)
    ann, bob = plant.person("Ann"), plant.person("Bob")
    return document, requirement, ann, bob


def _due(days: int) -> str:
    # The coordinator persona has no site: times are in the installation's zone (UTC).
    return (timezone.now() + days * DAY).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.requirement("G5", "A1")
def test_the_coordinator_assigns_a_document_to_named_people_from_the_page(
    client, coordinator, team
):
    document, requirement, ann, bob = team
    client.force_login(coordinator)
    assert (
        reverse("web:coordinator_assignment_new").encode()
        in client.get(reverse("web:coordinator_assignments")).content
    )
    response = client.post(
        reverse("web:coordinator_assignment_new"),
        {
            "document": document.pk,
            "people": f"{ann.employee_number}, {bob.user.username}",
            "due_at": _due(10),
            "reason": REASON,
        },
    )
    assert response.status_code == 302
    made = Assignment.objects.filter(reason=AssignmentReason.COORDINATOR)
    assert {a.person_id for a in made} == {ann.pk, bob.pk}
    assert {a.requirement_id for a in made} == {requirement.pk}
    assert {a.reason_text for a in made} == {REASON}


@pytest.mark.requirement("G5")
def test_a_due_date_in_the_past_or_an_unknown_person_is_refused_on_the_field(
    client, coordinator, team
):
    document, _, ann, _ = team
    client.force_login(coordinator)
    past = client.post(
        reverse("web:coordinator_assignment_new"),
        {
            "document": document.pk,
            "people": ann.employee_number,
            "due_at": _due(-1),
            "reason": REASON,
        },
    )
    assert past.status_code == 422
    assert "in the future" in past.context["form"].errors["due_at"][0]
    assert REASON.encode() in past.content  # what was typed stays
    unknown = client.post(
        reverse("web:coordinator_assignment_new"),
        {"document": document.pk, "people": "E99999", "due_at": _due(5), "reason": REASON},
    )
    assert unknown.status_code == 422
    assert "E99999" in unknown.context["form"].errors["people"][0]
    assert not Assignment.objects.filter(reason=AssignmentReason.COORDINATOR).exists()


@pytest.mark.requirement("G5")
def test_an_employee_cannot_reach_the_assignment_pages(client, employee, team):
    client.force_login(employee)
    assert client.get(reverse("web:coordinator_assignment_new")).status_code == 403


@pytest.mark.requirement("G6", "G7", "A1")
def test_an_assignment_is_cancelled_with_a_reason_and_a_closed_one_is_refused(
    client, coordinator, team, plant
):
    _, requirement, ann, _ = team
    [assignment] = training.assignment_assign_adhoc(
        actor=coordinator,
        people=[ann],
        requirement=requirement,
        due_at=timezone.now() + 5 * DAY,
        reason=REASON,
    ).created
    client.force_login(coordinator)
    url = reverse("web:coordinator_assignment_cancel", args=[assignment.pk])
    page = client.get(reverse("web:coordinator_assignment", args=[assignment.pk]))
    assert url.encode() in page.content
    no_reason = client.post(url, {"reason": ""})
    assert no_reason.status_code == 422
    assert no_reason.context["form"].errors["reason"]
    done = client.post(url, {"reason": "Left the team"})
    assert done.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.status, assignment.cancel_reason) == (
        AssignmentStatus.CANCELLED,
        "Left the team",
    )
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 422
    assert b"only an open assignment can be cancelled" in again.content


@pytest.mark.requirement("R1", "S1", "A1")
def test_a_record_is_corrected_from_the_page_and_both_records_are_shown(
    client, coordinator, plant, team
):
    _, requirement, ann, _ = team
    original = plant.read(ann, requirement)
    client.force_login(coordinator)
    url = reverse("web:coordinator_record_correct", args=[original.pk])
    no_reason = client.post(
        url,
        {
            "reason": "",
            "notes": "Read on the line terminal",
            "trainee_username": ann.user.username,
            "trainee_password": PASSWORD,
        },
    )
    assert no_reason.status_code == 422
    assert no_reason.context["form"].errors["reason"]
    assert TrainingRecord.objects.filter(person=ann).count() == 1
    done = client.post(
        url,
        {
            "reason": "Where it was read was not noted",
            "notes": "Read on the line terminal",
            "trainee_username": ann.user.username,
            "trainee_password": PASSWORD,
        },
    )
    assert done.status_code == 302
    corrected = TrainingRecord.objects.get(supersedes=original)
    assert corrected.correction_reason == "Where it was read was not noted"
    page = client.get(reverse("web:coordinator_record", args=[original.pk]))
    assert f"Record {original.pk}".encode() in page.content
    assert f"corrected by record {corrected.pk}".encode() in page.content
    assert b"Where it was read was not noted" in page.content
    # The original's own trail says it was corrected, by which record and why.
    event = AuditEvent.objects.get(
        object_type="training.trainingrecord",
        object_id=str(original.pk),
        action="training.record.superseded",
    )
    assert event.reason == "Where it was read was not noted"
    assert event.data["detail"] == {"superseded_by": corrected.pk}
    assert event.changes == {}


@pytest.mark.requirement("R1")
def test_a_correction_needs_the_trainee_signature_when_someone_else_enters_it(
    client, coordinator, plant, team
):
    _, requirement, ann, _ = team
    original = plant.read(ann, requirement)
    client.force_login(coordinator)
    response = client.post(
        reverse("web:coordinator_record_correct", args=[original.pk]),
        {"reason": "Typo", "notes": "x", "trainee_username": ann.user.username},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["trainee_password"]
    assert not TrainingRecord.objects.filter(supersedes=original).exists()
