"""Completion services: signed, immutable records (R1) that close their assignment,
attested times (T1), evidence of understanding (Q8) and trainer rules (Q4, S2)."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.signatures.services import signatures_of
from qualify.training import engine, events
from qualify.training import services as training
from qualify.training.models import (
    Assignment,
    AssignmentStatus,
    Evidence,
    Method,
    TrainingRecord,
)
from tests import files
from tests.personas import make_user
from tests.training.support import DAY, creds, events_of, open_assignments

pytestmark = pytest.mark.django_db


@pytest.fixture
def sop(plant):
    return plant.requirement("SOP-014-RU", document=plant.document("SOP-014"))


@pytest.fixture
def ann(plant, sop):
    plant.matrix(sop)
    return plant.person("Ann", job_function=plant.operators)


@pytest.fixture
def trained(plant):
    """A qualified trainer, a classroom and an on-the-job requirement they may train."""
    trainer, ttt = plant.qualified_trainer()
    classroom = plant.requirement("GMP-101", method=Method.CLASSROOM, trainer_requirement=ttt)
    ojt = plant.requirement(
        "FILL-OJT", method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Gown"
    )
    return trainer, classroom, ojt


# --- read and understood --------------------------------------------------------------------------


@pytest.mark.requirement("Q4", "G7")
def test_read_and_understood_binds_the_effective_version_and_completes_the_assignment(
    plant, sop, ann
):
    [assignment] = open_assignments(person=ann)
    seen = []
    events.assignment_completed.connect(lambda **kw: seen.append(kw))
    before = timezone.now()
    record = plant.read(ann, assignment=assignment)
    assert record.document_version.revision == "1"
    assert before <= record.completed_at == record.recorded_at <= timezone.now()
    assert record.evidence == Evidence.SIGNATURE
    [signature] = signatures_of(record)
    assert (signature.signer, signature.meaning) == (ann.user, "read_and_understood")
    assignment.refresh_from_db()
    assert (assignment.status, assignment.record) == (AssignmentStatus.COMPLETED, record)
    assert seen[-1]["record"] == record
    assert engine.is_qualified(ann, sop, at=timezone.now())
    events.assignment_completed._handlers.pop()


def test_only_the_trainee_signs_read_and_understood(plant, sop, ann, coordinator):
    with pytest.raises(PermissionDenied):
        training.record_read_and_understood(
            actor=coordinator, person=ann, requirement=sop, credentials=creds(coordinator)
        )


@pytest.mark.requirement("Q4")
def test_read_and_understood_is_refused_without_an_approved_version(plant, ann):
    from qualify.documents import services as documents

    document = documents.document_create(
        actor=plant.doc_controller, number="SOP-NEW", title="New", doc_type="sop",
        owner=plant.doc_controller,
    )  # fmt: skip
    requirement = plant.requirement("SOP-NEW-RU", document=document)
    with pytest.raises(ValidationError, match="no approved version in force"):
        plant.read(ann, requirement)
    assert not TrainingRecord.objects.filter(requirement=requirement).exists()


@pytest.mark.requirement("G3", "Q4")
def test_reading_a_revision_ahead_of_its_effective_date_completes_the_revision_assignment(
    plant, sop, ann
):
    version = plant.revise(sop.document, "2", effective_from=timezone.now() + 40 * DAY)
    [assignment] = open_assignments(person=ann)
    record = plant.read(ann, assignment=assignment)
    assert record.document_version == version
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    assert engine.is_qualified(ann, sop, at=version.effective_from)


@pytest.mark.requirement("Q8")
def test_signature_only_record_is_refused_when_an_assessment_is_required(plant):
    document = plant.document("PSM-001")
    requirement = plant.requirement(
        "PSM-001-RU", document=document, evidence_required=Evidence.ASSESSMENT, pass_mark=80
    )
    person = plant.person("Ann")
    with pytest.raises(ValidationError, match="requires evidence of understanding"):
        plant.read(person, requirement)
    assert (
        not TrainingRecord.objects.exists()
        or not TrainingRecord.objects.filter(requirement=requirement).exists()
    )


# --- assessments ----------------------------------------------------------------------------------


@pytest.mark.requirement("Q8")
def test_failed_assessment_is_recorded_but_leaves_the_assignment_open(plant):
    requirement = plant.requirement("GMP-EL", method=Method.ELEARNING, pass_mark=80)
    plant.matrix(requirement)
    ann = plant.person("Ann", job_function=plant.operators)
    failed = training.record_assessment(
        actor=ann.user, person=ann, requirement=requirement, score=65, credentials=creds(ann.user)
    )
    assert (failed.evidence, failed.score, failed.pass_mark) == (Evidence.ASSESSMENT, 65, 80)
    assert len(open_assignments(person=ann)) == 1
    assert not engine.is_qualified(ann, requirement, at=timezone.now())
    passed = training.record_assessment(
        actor=ann.user,
        person=ann,
        requirement=requirement,
        score="92.5",
        credentials=creds(ann.user),
    )
    assert passed.completed_assignment.status == AssignmentStatus.COMPLETED
    answer = engine.qualification(ann, requirement, at=timezone.now())
    assert answer.qualified, answer.reasons


# --- classroom and on-the-job ---------------------------------------------------------------------


def _classroom(plant, trainer_user, trainee, requirement, attested_at, **kw):
    return training.record_classroom(
        actor=trainer_user,
        trainee=trainee,
        requirement=requirement,
        attested_at=attested_at,
        trainee_credentials=creds(trainee.user),
        trainer_credentials=creds(trainer_user),
        **kw,
    )


@pytest.mark.requirement("T1", "Q4")
def test_classroom_record_keeps_the_attested_time_beside_the_entry_time(plant, trained):
    trainer, classroom, _ = trained
    ann = plant.person("Ann")
    held = timezone.now() - 2 * DAY
    record = _classroom(plant, plant.trainer_user, ann, classroom, held)
    assert record.attested_at == record.completed_at == held
    assert record.recorded_at > held
    assert not record.late_entry
    assert record.trainer == trainer
    meanings = {(s.signer_id, s.meaning) for s in signatures_of(record)}
    assert meanings == {(ann.user_id, "completed_training"), (plant.trainer_user.pk, "trained_by")}
    assert engine.is_qualified(ann, classroom, at=timezone.now())


@pytest.mark.requirement("T1")
def test_entry_later_than_the_site_delay_is_flagged_late(plant, trained):
    _, classroom, _ = trained
    ann = plant.person("Ann")
    record = _classroom(plant, plant.trainer_user, ann, classroom, timezone.now() - 4 * DAY)
    assert record.late_entry  # the site allows 72 hours


@pytest.mark.requirement("T1")
def test_attested_time_in_the_future_is_refused(plant, trained):
    _, classroom, _ = trained
    ann = plant.person("Ann")
    with pytest.raises(ValidationError, match="future"):
        _classroom(plant, plant.trainer_user, ann, classroom, timezone.now() + DAY)
    assert not TrainingRecord.objects.filter(requirement=classroom).exists()


@pytest.mark.requirement("Q4")
def test_trainer_not_qualified_at_the_time_of_training_is_refused(plant, trained):
    _, classroom, _ = trained
    ann = plant.person("Ann")
    # The train-the-trainer certificate dates from 30 days ago.
    with pytest.raises(ValidationError, match="was not qualified on TTT"):
        _classroom(plant, plant.trainer_user, ann, classroom, timezone.now() - 40 * DAY)


@pytest.mark.requirement("Q4")
def test_trainer_without_the_trainer_qualification_is_refused(plant, trained):
    _, classroom, _ = trained
    novice_user = make_user("novice", "employee", "trainer")
    plant.person("Novice", user=novice_user)
    ann = plant.person("Ann")
    with pytest.raises(ValidationError, match="not qualified"):
        _classroom(plant, novice_user, ann, classroom, timezone.now() - DAY)


@pytest.mark.requirement("S2")
def test_trainee_cannot_be_their_own_trainer(plant, trained):
    trainer, classroom, _ = trained
    with pytest.raises(ValidationError, match="own trainer"):
        training.record_classroom(
            actor=plant.trainer_user,
            trainee=trainer,
            requirement=classroom,
            attested_at=timezone.now() - DAY,
            trainee_credentials=creds(plant.trainer_user),
            trainer_credentials=creds(plant.trainer_user),
        )
    assert not TrainingRecord.objects.filter(requirement=classroom).exists()


def test_employee_cannot_record_training_as_trainer(plant, trained, employee):
    _, classroom, _ = trained
    ann = plant.person("Ann")
    with pytest.raises(PermissionDenied):
        _classroom(plant, employee, ann, classroom, timezone.now() - DAY)


@pytest.mark.requirement("Q8")
def test_on_the_job_record_is_an_observed_demonstration(plant, trained):
    _, _, ojt = trained
    plant.matrix(ojt)
    ann = plant.person("Ann", job_function=plant.operators)
    record = training.record_on_the_job(
        actor=plant.trainer_user,
        trainee=ann,
        requirement=ojt,
        attested_at=timezone.now() - DAY,
        trainee_credentials=creds(ann.user),
        trainer_credentials=creds(plant.trainer_user),
    )
    assert record.evidence == Evidence.DEMONSTRATION
    assert record.completed_assignment is not None


@pytest.mark.requirement("Q8")
def test_on_the_job_without_the_checklist_met_is_refused(plant, trained):
    _, _, ojt = trained
    ann = plant.person("Ann")
    with pytest.raises(ValidationError, match="checklist was not met"):
        training.record_on_the_job(
            actor=plant.trainer_user,
            trainee=ann,
            requirement=ojt,
            attested_at=timezone.now() - DAY,
            trainee_credentials=creds(ann.user),
            trainer_credentials=creds(plant.trainer_user),
            checklist_ok=False,
        )


@pytest.mark.requirement("Q8")
def test_classroom_demanding_a_demonstration_refuses_a_plain_record(plant, trained):
    _, _, _ = trained
    ttt = trained[1].trainer_requirement
    demo = plant.requirement(
        "CR-DEMO",
        method=Method.CLASSROOM,
        trainer_requirement=ttt,
        evidence_required=Evidence.DEMONSTRATION,
    )
    ann = plant.person("Ann")
    with pytest.raises(ValidationError, match="requires evidence of understanding"):
        _classroom(plant, plant.trainer_user, ann, demo, timezone.now() - DAY, checklist_ok=False)


def _refusals():
    return list(AuditEvent.objects.filter(action="training.record.refused").order_by("seq"))


@pytest.mark.requirement("A5", "Q4")
def test_sign_off_by_a_trainer_not_qualified_then_is_refused_and_audited(plant, trained):
    _, classroom, _ = trained
    ann = plant.person("Ann")
    with pytest.raises(ValidationError, match="was not qualified on TTT") as refused:
        _classroom(plant, plant.trainer_user, ann, classroom, timezone.now() - 40 * DAY)
    [event] = _refusals()
    assert event.actor_username == plant.trainer_user.username
    assert (event.object_type, event.object_id) == ("org.person", str(ann.pk))
    assert event.data["detail"]["requirement"] == "GMP-101"
    assert event.data["detail"]["method"] == Method.CLASSROOM
    assert event.data["detail"]["why"] == " ".join(refused.value.messages)
    assert not TrainingRecord.objects.filter(requirement=classroom).exists()


@pytest.mark.requirement("A5", "Q8")
def test_psm_sign_off_without_the_demonstration_is_refused_and_audited(plant, trained):
    ttt = trained[1].trainer_requirement
    psm = plant.requirement(
        "PSM-HOTWORK",
        method=Method.CLASSROOM,
        trainer_requirement=ttt,
        evidence_required=Evidence.DEMONSTRATION,
    )
    ann = plant.person("Ann")
    with pytest.raises(ValidationError, match="requires evidence of understanding"):
        _classroom(plant, plant.trainer_user, ann, psm, timezone.now() - DAY, checklist_ok=False)
    [event] = _refusals()
    assert event.actor_username == plant.trainer_user.username
    assert (event.object_type, event.object_id) == ("org.person", str(ann.pk))
    assert event.data["detail"]["requirement"] == "PSM-HOTWORK"
    assert "demonstration" in event.data["detail"]["why"]
    assert not TrainingRecord.objects.filter(requirement=psm).exists()
    # With the demonstration observed, the same sign-off is accepted and nothing is refused.
    record = _classroom(plant, plant.trainer_user, ann, psm, timezone.now() - DAY)
    assert record.evidence == Evidence.DEMONSTRATION
    assert len(_refusals()) == 1


# --- external certificates ------------------------------------------------------------------------


@pytest.mark.requirement("T1")
def test_external_certificate_stores_the_file_and_its_sha256(plant, coordinator):
    requirement = plant.requirement("FORKLIFT", method=Method.EXTERNAL)
    ann = plant.person("Ann")
    content = files.pdf("Forklift licence")
    record = training.record_external(
        actor=coordinator,
        person=ann,
        requirement=requirement,
        completed_at=timezone.now() - 10 * DAY,
        evidence_file=ContentFile(content, name="licence.pdf"),
        credentials=creds(ann.user),
    )
    assert record.evidence_sha256 == hashlib.sha256(content).hexdigest()
    assert record.evidence_file.read() == content
    assert record.late_entry
    assert record.entered_by == coordinator
    assert engine.is_qualified(ann, requirement, at=timezone.now())


# --- R1 -------------------------------------------------------------------------------------------


@pytest.mark.requirement("R1")
def test_records_cannot_be_updated_or_deleted(plant, sop, ann):
    record = plant.read(ann, sop)
    with pytest.raises(DatabaseError), transaction.atomic():
        TrainingRecord.objects.filter(pk=record.pk).update(notes="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        TrainingRecord.objects.filter(pk=record.pk).delete()


@pytest.mark.requirement("R1", "T1")
def test_correction_supersedes_the_record_signed_and_both_stay_visible(plant, trained):
    _, classroom, _ = trained
    ann = plant.person("Ann")
    wrong = _classroom(plant, plant.trainer_user, ann, classroom, timezone.now() - 5 * DAY)
    right_time = timezone.now() - 2 * DAY
    corrected = training.record_correct(
        actor=plant.trainer_user,
        record=wrong,
        reason="Session date typed wrong",
        credentials=creds(plant.trainer_user),
        trainee_credentials=creds(ann.user),
        attested_at=right_time,
    )
    assert corrected.supersedes == wrong
    assert corrected.correction_reason == "Session date typed wrong"
    assert corrected.completed_at == corrected.attested_at == right_time
    assert not corrected.late_entry
    assert TrainingRecord.objects.filter(person=ann).count() == 2
    assert {s.meaning for s in signatures_of(corrected)} == {"completed_training", "trained_by"}
    [event] = events_of(corrected, "training.record.corrected")
    assert event.reason == "Session date typed wrong"
    answer = engine.qualification(ann, classroom, at=timezone.now())
    assert answer.qualified
    assert answer.record == corrected
    with pytest.raises(ValidationError, match="already corrected"):
        training.record_correct(
            actor=plant.trainer_user,
            record=wrong,
            reason="again",
            credentials=creds(plant.trainer_user),
            trainee_credentials=creds(ann.user),
            notes="x",
        )


@pytest.mark.requirement("R1", "Q8")
def test_correcting_an_assessment_score_to_a_pass_completes_the_assignment(plant):
    requirement = plant.requirement("GMP-EL", method=Method.ELEARNING, pass_mark=80)
    plant.matrix(requirement)
    ann = plant.person("Ann", job_function=plant.operators)
    failed = training.record_assessment(
        actor=ann.user, person=ann, requirement=requirement, score=8.5, credentials=creds(ann.user)
    )
    corrected = training.record_correct(
        actor=ann.user,
        record=failed,
        reason="Score entered as 8.5 instead of 85",
        credentials=creds(ann.user),
        score=85,
    )
    assert corrected.completed_assignment.status == AssignmentStatus.COMPLETED
    assert Assignment.objects.get(person=ann).record == corrected


@pytest.mark.requirement("R1", "T1")
def test_server_times_are_never_corrected(plant, sop, ann):
    record = plant.read(ann, sop)
    with pytest.raises(ValidationError, match="cannot be corrected"):
        training.record_correct(
            actor=ann.user,
            record=record,
            reason="x",
            credentials=creds(ann.user),
            completed_at=timezone.now() - 3 * DAY,
        )
