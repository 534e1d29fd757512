"""Ad-hoc training: a coordinator assigns a document, a curriculum or a requirement to
named people or a job function's holders with a due date and a reason (G5), and
cancels an assignment they made with a reason (G6, G7)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qualify.training import engine
from qualify.training import services as training
from qualify.training.models import Assignment, AssignmentReason, AssignmentStatus
from tests.training.support import DAY, events_of, open_assignments

REASON = "Regulatory submission team, BLA 761234"


@pytest.fixture
def sop(plant):
    document = plant.document("SOP-200")
    reading = plant.requirement("RU-SOP-200", document=document)
    return document, reading


@pytest.mark.requirement("G5", "A1")
def test_a_document_is_assigned_to_named_people_with_a_due_date_and_a_reason(plant, sop):
    document, reading = sop
    ann, bob = plant.person("Ann"), plant.person("Bob")
    due = timezone.now() + 14 * DAY
    result = training.assignment_assign_adhoc(
        actor=plant.coordinator, people=[ann, bob], document=document, due_at=due, reason=REASON
    )
    assert sorted(a.person_id for a in result.created) == sorted([ann.pk, bob.pk])
    for a in result.created:
        assert (a.requirement, a.reason, a.reason_text, a.due_at) == (
            reading,
            AssignmentReason.COORDINATOR,
            REASON,
            due,
        )
        assert a.source == f"documents.document:{document.pk}"
        assert events_of(a)[0].action == "training.assignment.created"
    # Q5: an individual assignment makes the person required to hold it.
    assert reading.pk in engine.required_requirements(ann, at=timezone.now())


@pytest.mark.requirement("G5")
def test_a_curriculum_is_assigned_to_the_holders_of_a_job_function(plant):
    first, second = (
        plant.requirement("EL-1", method="external"),
        plant.requirement("EL-2", method="external"),
    )
    curriculum = training.curriculum_create(actor=plant.coordinator, code="CUR-SUB", title="Sub")
    for r in (first, second):
        training.curriculum_item_add(actor=plant.coordinator, curriculum=curriculum, requirement=r)
    team = plant.job_function("SUB", "Submission team")
    members = [plant.person("Member", job_function=team) for _ in range(2)]
    outsider = plant.person("Outsider")
    result = training.assignment_assign_adhoc(
        actor=plant.coordinator,
        job_function=team,
        curriculum=curriculum,
        due_at=timezone.now() + 10 * DAY,
        reason=REASON,
    )
    assert len(result.created) == 4
    assert {a.person_id for a in result.created} == {m.pk for m in members}
    assert not open_assignments(person=outsider)


@pytest.mark.requirement("G5", "G7")
def test_assigning_again_is_idempotent_and_an_earlier_due_date_supersedes(plant, sop):
    _, reading = sop
    ann = plant.person("Ann")
    later = timezone.now() + 30 * DAY
    sooner = timezone.now() + 5 * DAY
    [first] = training.assignment_assign_adhoc(
        actor=plant.coordinator, people=[ann], requirement=reading, due_at=later, reason=REASON
    ).created
    again = training.assignment_assign_adhoc(
        actor=plant.coordinator, people=[ann], requirement=reading, due_at=later, reason=REASON
    )
    assert (again.created, again.already_open) == ([], [first])
    [second] = training.assignment_assign_adhoc(
        actor=plant.coordinator, people=[ann], requirement=reading, due_at=sooner, reason=REASON
    ).created
    first.refresh_from_db()
    assert (first.status, first.superseded_by) == (AssignmentStatus.SUPERSEDED, second)
    assert open_assignments(person=ann) == [second]
    assert second.due_at == sooner


@pytest.mark.requirement("G5")
def test_bad_requests_are_refused_with_the_field_named_and_nothing_written(plant, sop):
    _, reading = sop
    ann = plant.person("Ann")
    future = timezone.now() + 5 * DAY
    cases = [
        (
            dict(people=[ann], requirement=reading, due_at=timezone.now() - DAY, reason=REASON),
            "due_at",
        ),
        (dict(people=[ann], requirement=reading, due_at=future, reason="  "), "reason"),
        (dict(requirement=reading, due_at=future, reason=REASON), "people"),
        (dict(people=[ann], due_at=future, reason=REASON), "requirement"),
    ]
    unlinked = plant.document("SOP-201")
    cases.append((dict(people=[ann], document=unlinked, due_at=future, reason=REASON), "document"))
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as refused:
            training.assignment_assign_adhoc(actor=plant.coordinator, **kwargs)
        assert field in refused.value.message_dict, (field, refused.value)
    assert not Assignment.objects.filter(reason=AssignmentReason.COORDINATOR).exists()


@pytest.mark.requirement("G5")
def test_only_a_coordinator_or_qa_assigns_training(plant, sop, employee, doc_controller):
    _, reading = sop
    ann = plant.person("Ann")
    for who in (employee, doc_controller):
        with pytest.raises(PermissionDenied):
            training.assignment_assign_adhoc(
                actor=who,
                people=[ann],
                requirement=reading,
                due_at=timezone.now() + DAY,
                reason=REASON,
            )
    assert not open_assignments(person=ann)


@pytest.fixture
def adhoc(plant, sop):
    _, reading = sop
    ann = plant.person("Ann")
    [assignment] = training.assignment_assign_adhoc(
        actor=plant.coordinator,
        people=[ann],
        requirement=reading,
        due_at=timezone.now() + 7 * DAY,
        reason=REASON,
    ).created
    return assignment


@pytest.mark.requirement("G6", "G7", "A1")
def test_a_coordinator_cancels_an_assignment_with_a_reason_and_it_stays_on_record(plant, adhoc):
    training.assignment_cancel(
        actor=plant.coordinator, assignment=adhoc, reason="Left the submission team"
    )
    adhoc.refresh_from_db()
    assert adhoc.status == AssignmentStatus.CANCELLED
    assert adhoc.cancel_reason == "Left the submission team"
    assert adhoc.closed_at is not None
    event = events_of(adhoc, "training.assignment.cancelled")[0]
    assert event.reason == "Left the submission team"
    assert event.changes["status"] == ["open", "cancelled"]


@pytest.mark.requirement("G6", "G7")
def test_cancelling_needs_a_reason_and_an_open_assignment(plant, adhoc):
    with pytest.raises(ValidationError) as no_reason:
        training.assignment_cancel(actor=plant.coordinator, assignment=adhoc, reason="")
    assert "reason" in no_reason.value.message_dict
    training.assignment_cancel(actor=plant.coordinator, assignment=adhoc, reason="Not needed")
    with pytest.raises(ValidationError) as closed:
        training.assignment_cancel(actor=plant.coordinator, assignment=adhoc, reason="Again")
    assert "only an open assignment" in closed.value.messages[0]
    assert len(events_of(adhoc, "training.assignment.cancelled")) == 1


@pytest.mark.requirement("G6", "Q5")
def test_an_assignment_a_rule_made_is_not_cancelled_by_hand(plant, sop):
    """Cancelling a matrix assignment would hide training the job still requires."""
    _, reading = sop
    ann = plant.person("Ann", job_function=plant.operators)
    plant.matrix(reading)
    [made] = open_assignments(person=ann)
    assert made.reason == AssignmentReason.MATRIX
    with pytest.raises(ValidationError) as refused:
        training.assignment_cancel(actor=plant.coordinator, assignment=made, reason="Busy")
    assert "matrix" in refused.value.messages[0]
    made.refresh_from_db()
    assert made.status == AssignmentStatus.OPEN


@pytest.mark.requirement("G6")
def test_only_a_coordinator_or_qa_cancels(plant, adhoc, employee):
    with pytest.raises(PermissionDenied):
        training.assignment_cancel(actor=employee, assignment=adhoc, reason="Mine")
    adhoc.refresh_from_db()
    assert adhoc.status == AssignmentStatus.OPEN
