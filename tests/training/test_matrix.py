"""The training matrix: QA-approved entries (S2) and G1 / G6 on adding and ending."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualify.signatures.services import SignatureRefused, signatures_of
from qualify.training import services as training
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    MatrixEntry,
    Method,
)
from tests.training.support import DAY, creds, events_of, open_assignments

pytestmark = pytest.mark.django_db


@pytest.fixture
def sop(plant):
    document = plant.document("SOP-014")
    return plant.requirement("SOP-014-RU", document=document)


@pytest.mark.requirement("G1", "S2")
def test_matrix_entry_is_signed_approved_by_qa(plant, sop):
    entry = plant.matrix(sop)
    [signature] = signatures_of(entry)
    assert (signature.signer, signature.meaning) == (plant.qa, "approved")
    assert [e.action for e in events_of(entry)] == ["training.matrix.entry_added"]


@pytest.mark.requirement("S2")
def test_proposer_cannot_approve_their_own_matrix_change(plant, sop):
    with pytest.raises(ValidationError, match="other than the proposer"):
        training.matrix_entry_add(
            actor=plant.coordinator,
            job_function=plant.operators,
            requirement=sop,
            reason="Operators",
            qa_actor=plant.coordinator,
            qa_credentials=creds(plant.coordinator),
        )
    assert not MatrixEntry.objects.exists()


@pytest.mark.requirement("S2")
def test_matrix_change_needs_a_qa_approver_and_the_right_password(plant, sop, doc_controller):
    with pytest.raises(SignatureRefused):
        training.matrix_entry_add(
            actor=plant.coordinator,
            job_function=plant.operators,
            requirement=sop,
            reason="Operators",
            qa_actor=doc_controller,
            qa_credentials=creds(doc_controller),
        )
    with pytest.raises(SignatureRefused, match="password"):
        training.matrix_entry_add(
            actor=plant.coordinator,
            job_function=plant.operators,
            requirement=sop,
            reason="Operators",
            qa_actor=plant.qa,
            qa_credentials=creds(plant.qa, password="wrong"),
        )
    assert not MatrixEntry.objects.exists()


def test_only_a_coordinator_proposes_matrix_changes(plant, sop, employee):
    with pytest.raises(PermissionDenied):
        training.matrix_entry_add(
            actor=employee,
            job_function=plant.operators,
            requirement=sop,
            reason="x",
            qa_actor=plant.qa,
            qa_credentials=creds(plant.qa),
        )


@pytest.mark.requirement("G1")
def test_entry_for_an_inactive_requirement_is_refused(plant, sop):
    type(sop).objects.filter(pk=sop.pk).update(active=False)
    with pytest.raises(ValidationError, match="inactive"):
        plant.matrix(sop)
    assert not MatrixEntry.objects.exists()


@pytest.mark.requirement("G1")
def test_entry_twice_for_the_same_function_is_refused(plant, sop):
    plant.matrix(sop)
    with pytest.raises(ValidationError, match="already requires"):
        plant.matrix(sop)


@pytest.mark.requirement("G1")
def test_new_entry_assigns_every_holder_not_qualified(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    bob = plant.person("Bob", job_function=plant.operators)
    outsider = plant.person("Cleo")
    # Bob is already qualified: read under an earlier individual assignment.
    training.assignment_create_individual(
        actor=plant.coordinator, person=bob, requirement=sop, due_at=timezone.now() + DAY
    )
    plant.read(bob, sop)
    before = timezone.now()
    entry = plant.matrix(sop, window_days=14)
    [assignment] = entry.created_assignments
    assert assignment.person == ann
    assert assignment.reason == AssignmentReason.MATRIX
    assert assignment.source == f"training.matrixentry:{entry.pk}"
    assert before + 14 * DAY <= assignment.due_at <= timezone.now() + 14 * DAY
    assert not open_assignments(person=outsider)
    assert [e.action for e in events_of(assignment)] == ["training.assignment.created"]


@pytest.mark.requirement("G1")
def test_entry_starting_later_is_due_a_window_after_its_start(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    starts = timezone.now() + 10 * DAY
    plant.matrix(sop, valid_from=starts, window_days=30)
    [assignment] = open_assignments(person=ann)
    assert assignment.due_at == starts + 30 * DAY


@pytest.mark.requirement("G1")
def test_curriculum_entry_assigns_each_item_once(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    gmp = plant.requirement("GMP-BASICS", method=Method.EXTERNAL)
    curriculum = training.curriculum_create(actor=plant.coordinator, code="IND", title="Induction")
    for requirement in (sop, gmp):
        training.curriculum_item_add(
            actor=plant.coordinator, curriculum=curriculum, requirement=requirement
        )
    plant.matrix(sop)
    plant.matrix(curriculum=curriculum)  # sop is already open: not assigned twice
    assert sorted(a.requirement.code for a in open_assignments(person=ann)) == [
        "GMP-BASICS",
        "SOP-014-RU",
    ]


@pytest.mark.requirement("G6")
def test_ending_an_entry_cancels_its_open_assignments(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    entry = plant.matrix(sop)
    training.matrix_entry_end(
        actor=plant.coordinator,
        entry=entry,
        reason="SOP retired for OP",
        qa_actor=plant.qa,
        qa_credentials=creds(plant.qa),
    )
    assignment = Assignment.objects.get(person=ann)
    assert assignment.status == AssignmentStatus.CANCELLED
    assert "SOP retired for OP" in assignment.cancel_reason
    [cancelled] = events_of(assignment, "training.assignment.cancelled")
    assert cancelled.reason == assignment.cancel_reason
    # The QA approval still verifies: ending is its own audited change.
    from qualify.signatures.services import content_hash

    entry.refresh_from_db()
    assert {s.content_hash for s in signatures_of(entry)} == {content_hash(entry)}


@pytest.mark.requirement("G6")
def test_ending_an_entry_keeps_assignments_another_entry_still_requires(plant, sop):
    packers = plant.job_function("PK", "Packer")
    ann = plant.person("Ann", job_function=plant.operators)
    plant.hold(ann, packers)
    entry = plant.matrix(sop)
    plant.matrix(sop, packers)
    training.matrix_entry_end(
        actor=plant.coordinator,
        entry=entry,
        reason="Not for OP",
        qa_actor=plant.qa,
        qa_credentials=creds(plant.qa),
    )
    assert [a.requirement for a in open_assignments(person=ann)] == [sop]


@pytest.mark.requirement("G6")
def test_ending_an_entry_in_the_future_keeps_its_assignments_until_then(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    entry = plant.matrix(sop)
    training.matrix_entry_end(
        actor=plant.coordinator,
        entry=entry,
        reason="Retiring next month",
        valid_to=timezone.now() + 30 * DAY,
        qa_actor=plant.qa,
        qa_credentials=creds(plant.qa),
    )
    assert len(open_assignments(person=ann)) == 1


def _trained_holders(plant, sop, job_function, count):
    for _ in range(count):
        person = plant.person("Holder")
        training.assignment_create_individual(
            actor=plant.coordinator, person=person, requirement=sop, due_at=timezone.now() + DAY
        )
        plant.read(person, sop)
        plant.hold(person, job_function)


@pytest.mark.requirement("G1")
def test_a_new_entry_asks_about_all_trained_holders_at_once(plant, sop):
    few, many = plant.job_function("FEW"), plant.job_function("MANY")
    _trained_holders(plant, sop, few, 2)
    _trained_holders(plant, sop, many, 6)
    with CaptureQueriesContext(connection) as for_few:
        assert plant.matrix(sop, few).created_assignments == []
    with CaptureQueriesContext(connection) as for_many:
        assert plant.matrix(sop, many).created_assignments == []
    assert len(for_many.captured_queries) == len(for_few.captured_queries)


@pytest.mark.requirement("G6", "S2")
def test_ending_an_entry_is_signed_by_a_qa_approver_like_adding_one(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    entry = plant.matrix(sop)
    training.matrix_entry_end(
        actor=plant.coordinator,
        entry=entry,
        reason="SOP retired for OP",
        qa_actor=plant.qa,
        qa_credentials=creds(plant.qa),
    )
    # The same QA approver who approved the entry signs its end.
    assert [(s.signer, s.meaning) for s in signatures_of(entry)] == [
        (plant.qa, "approved"),
        (plant.qa, "closed"),
    ]
    assert [e.action for e in events_of(entry)] == [
        "training.matrix.entry_added",
        "training.matrix.entry_ended",
    ]
    assert open_assignments(person=ann) == []


@pytest.mark.requirement("G6", "S2", "S1")
def test_an_entry_does_not_end_without_a_valid_qa_signature(plant, sop, doc_controller):
    ann = plant.person("Ann", job_function=plant.operators)
    entry = plant.matrix(sop)

    def end(qa_actor, password=None):
        training.matrix_entry_end(
            actor=plant.coordinator,
            entry=entry,
            reason="SOP retired for OP",
            qa_actor=qa_actor,
            qa_credentials=creds(qa_actor, **({"password": password} if password else {})),
        )

    with pytest.raises(ValidationError, match="other than the proposer"):
        end(plant.coordinator)
    with pytest.raises(SignatureRefused):
        end(doc_controller)  # holds no permission to sign this meaning
    with pytest.raises(SignatureRefused, match="password"):
        end(plant.qa, password="wrong")
    entry.refresh_from_db()
    assert entry.valid_to is None
    assert len(open_assignments(person=ann)) == 1
    assert [s.meaning for s in signatures_of(entry)] == ["approved"]


@pytest.mark.requirement("G6")
def test_an_entry_ends_once(plant, sop):
    entry = plant.matrix(sop)
    kwargs = {"qa_actor": plant.qa, "qa_credentials": creds(plant.qa)}
    training.matrix_entry_end(actor=plant.coordinator, entry=entry, reason="Retired", **kwargs)
    with pytest.raises(ValidationError, match="already ended"):
        training.matrix_entry_end(
            actor=plant.coordinator,
            entry=entry,
            reason="Again",
            qa_actor=plant.qa,
            qa_credentials=creds(plant.qa),
        )
    assert [s.meaning for s in signatures_of(entry)] == ["approved", "closed"]
