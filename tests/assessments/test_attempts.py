"""Attempts (L1): drawn from the bank version in force, scored on the server, one in
progress per person, time limit and cool-down enforced on the server, every attempt
stored and audited, the trainee signs the result, and a passed signed attempt completes
the assignment and counts as DESIGN's Q4/Q8 say."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qualify.assessments import queries, services
from qualify.assessments.models import Attempt, AttemptStatus
from qualify.audit.models import AuditEvent
from qualify.training.engine import qualification
from qualify.training.models import AssignmentStatus, TrainingRecord
from tests.assessments.support import assign_and_read, later, right_answers, wrong_answers
from tests.quality.plant import creds

pytestmark = pytest.mark.requirement("L1")


def refusals(why_part: str) -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.filter(action="assessment.attempt.refused")
        if why_part in e.data.get("detail", {}).get("why", "")
    ]


def _take(user, assessment, answers_of):
    attempt = services.attempt_start(actor=user, assessment=assessment)
    return services.attempt_submit(actor=user, attempt=attempt, answers=answers_of(attempt))


def test_an_attempt_records_the_bank_version_the_seed_and_the_questions_drawn(
    course, operator, bank
):
    """L1: the attempt stores the exact bank version in force, its seed, and N
    questions per topic with the order their options were shown in."""
    _, assessment = course
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.bank_version == bank.versions.get(revision="1")
    items = list(attempt.items.select_related("question"))
    topics = sorted(item.question.topic for item in items)
    assert topics == ["Cleaning", "Cleaning", "Gowning", "Gowning"]
    for item in items:
        keys = sorted(o["key"] for o in item.question.options)
        assert sorted(item.option_order) == keys
    assert AuditEvent.objects.filter(
        action="assessment.attempt.started", object_id=str(attempt.pk)
    ).exists()


def test_a_passed_attempt_signed_by_the_trainee_completes_the_assignment_and_qualifies(
    course, operator, plant
):
    """L1, Q8: scored on the server; the trainee signs "completed assessment"; the
    record bound to the SOP version holds the score and pass mark, the assignment is
    completed and the engine answers qualified."""
    requirement, assessment = course
    user = operator.user
    assignment = plant.open_assignment(operator, requirement)
    attempt = _take(user, assessment, right_answers)
    assert attempt.status == AttemptStatus.PASSED
    assert attempt.score == 100
    record = services.attempt_sign(actor=user, attempt=attempt, credentials=creds(user))
    assert record.score == 100
    assert record.pass_mark == 75
    assert record.evidence == "assessment"
    assert record.document_version == requirement.document.versions.get()
    assert record.evidence_sha256 == services.attempt_digest(attempt)
    attempt.refresh_from_db()
    assert attempt.record == record
    from qualify.signatures.services import signatures_of

    assert [s.meaning for s in signatures_of(record)] == ["completed_assessment"]
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    assert assignment.record == record
    assert qualification(operator, requirement, at=timezone.now()).qualified
    state = queries.assessment_state(operator, requirement)
    assert state.passed_and_signed
    assert state.record == record
    assert not state.can_start


def test_a_failed_attempt_is_a_record_too_and_leaves_the_assignment_open(course, operator, plant):
    """L1: a failed attempt is stored, scored and can be signed; the record does not
    count (Q8) and the assignment stays open."""
    requirement, assessment = course
    user = operator.user
    attempt = _take(user, assessment, wrong_answers)
    assert attempt.status == AttemptStatus.FAILED
    assert attempt.score == 0
    assert queries.topics(attempt)[0].missed
    record = services.attempt_sign(actor=user, attempt=attempt, credentials=creds(user))
    assert record.score == 0
    assert plant.open_assignment(operator, requirement).status == AssignmentStatus.OPEN
    answer = qualification(operator, requirement, at=timezone.now())
    assert not answer.qualified
    assert "assessment_not_passed" in [r.value for r in answer.reasons]


def test_results_name_the_topics_missed(course, operator):
    """Results show which topics were missed."""
    _, assessment = course
    user = operator.user
    attempt = services.attempt_start(actor=user, assessment=assessment)
    answers = right_answers(attempt)
    for item in attempt.items.select_related("question"):
        if item.question.topic == "Cleaning":
            answers[str(item.position)] = wrong_answers(attempt)[str(item.position)]
    attempt = services.attempt_submit(actor=user, attempt=attempt, answers=answers)
    assert attempt.score == 50
    assert attempt.status == AttemptStatus.FAILED
    assert [t.topic for t in queries.topics(attempt) if t.missed] == ["Cleaning"]
    assert services.missed_topics(list(attempt.items.select_related("question"))) == ["Cleaning"]


def test_a_second_attempt_while_one_is_in_progress_is_refused_and_audited(course, operator):
    """L1: one attempt in progress per person; the refusal is audited."""
    _, assessment = course
    user = operator.user
    services.attempt_start(actor=user, assessment=assessment)
    with pytest.raises(ValidationError, match="already have an attempt in progress"):
        services.attempt_start(actor=user, assessment=assessment)
    assert Attempt.objects.filter(person=operator).count() == 1
    assert refusals("already have an attempt in progress")


def test_the_database_holds_one_attempt_in_progress_per_person(course, operator):
    """L1: the rule is a constraint, so two racing requests cannot both start."""
    _, assessment = course
    first = services.attempt_start(actor=operator.user, assessment=assessment)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(
            assessment=assessment,
            person=operator,
            bank_version=first.bank_version,
            number=2,
            seed=1,
            started_at=timezone.now(),
            pass_mark=75,
        )


def test_a_late_submission_is_refused_and_the_attempt_ends_failed(plant, bank, operator):
    """L1: the time limit is enforced on the server: answers sent after it are not
    stored, the refusal is audited and the attempt is a failed one."""
    from tests.assessments.support import elearning

    requirement, assessment = elearning(plant, bank, code="EL-TIMED", time_limit_minutes=10)
    assign_and_read(plant, operator, requirement)
    user = operator.user
    attempt = services.attempt_start(actor=user, assessment=assessment)
    answers = right_answers(attempt)
    with (
        time_machine.travel(timezone.now() + later(11), tick=False),
        pytest.raises(ValidationError, match="time limit ended"),
    ):
        services.attempt_submit(actor=user, attempt=attempt, answers=answers)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED
    assert not attempt.items.exclude(response=None).exists()
    assert refusals("time limit ended")
    assert AuditEvent.objects.filter(
        action="assessment.attempt.expired", object_id=str(attempt.pk)
    ).exists()


def test_a_submission_within_the_time_limit_is_scored(plant, bank, operator):
    from tests.assessments.support import elearning

    requirement, assessment = elearning(plant, bank, code="EL-TIMED", time_limit_minutes=10)
    assign_and_read(plant, operator, requirement)
    user = operator.user
    attempt = services.attempt_start(actor=user, assessment=assessment)
    with time_machine.travel(timezone.now() + later(9), tick=False):
        attempt = services.attempt_submit(
            actor=user, attempt=attempt, answers=right_answers(attempt)
        )
    assert attempt.status == AttemptStatus.PASSED


def test_an_answer_for_a_question_not_drawn_is_refused_and_nothing_is_saved(course, operator):
    _, assessment = course
    user = operator.user
    attempt = services.attempt_start(actor=user, assessment=assessment)
    answers = right_answers(attempt) | {"9": "1"}
    with pytest.raises(ValidationError, match="did not draw"):
        services.attempt_submit(actor=user, attempt=attempt, answers=answers)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert not attempt.items.exclude(response=None).exists()
    assert refusals("did not draw")


def test_a_tampered_hidden_field_is_refused_and_audited(course, operator):
    _, assessment = course
    user = operator.user
    attempt = services.attempt_start(actor=user, assessment=assessment)
    token = services.form_token(attempt)
    with pytest.raises(ValidationError, match="altered"):
        services.attempt_submit(
            actor=user, attempt=attempt, answers=right_answers(attempt), form_token=token + "x"
        )
    assert refusals("altered")
    attempt = services.attempt_submit(
        actor=user, attempt=attempt, answers=right_answers(attempt), form_token=token
    )
    assert attempt.status == AttemptStatus.PASSED


def test_a_choice_that_was_not_shown_is_refused(course, operator):
    _, assessment = course
    user = operator.user
    attempt = services.attempt_start(actor=user, assessment=assessment)
    single = attempt.items.filter(question__kind__in=["single", "wrong_step", "multiple"]).first()
    if single is None:
        pytest.skip("no choice question drawn")
    answers = right_answers(attempt) | {str(single.position): "17"}
    with pytest.raises(ValidationError, match="not one of the choices"):
        services.attempt_submit(actor=user, attempt=attempt, answers=answers)


def test_an_attempt_on_a_retired_bank_version_is_refused_and_void(plant, bank, course, operator):
    """A new bank version in force retires the one the attempt drew from: the
    submission is refused (audited) and the attempt is void; a new attempt draws from
    the new version."""
    from tests.assessments.support import bank_revision

    _, assessment = course
    user = operator.user
    attempt = services.attempt_start(actor=user, assessment=assessment)
    bank_revision(plant, bank, "2")
    with pytest.raises(ValidationError, match="retired"):
        services.attempt_submit(actor=user, attempt=attempt, answers=right_answers(attempt))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.VOID
    assert refusals("retired")
    again = services.attempt_start(actor=user, assessment=assessment)
    assert again.bank_version.revision == "2"


def test_no_attempt_starts_on_an_obsolete_bank(plant, bank, course, operator):
    from qualify.documents import services as documents

    _, assessment = course
    documents.document_obsolete(
        actor=plant.qa, document=bank, reason="Replaced", credentials=creds(plant.qa)
    )
    with pytest.raises(ValidationError, match="no version in force"):
        services.attempt_start(actor=operator.user, assessment=assessment)


def test_cool_down_and_attempt_limit_are_enforced(plant, bank, operator):
    from tests.assessments.support import elearning

    requirement, assessment = elearning(
        plant, bank, code="EL-LIMITS", cooldown_minutes=30, attempt_limit=2
    )
    assign_and_read(plant, operator, requirement)
    user = operator.user
    _take(user, assessment, wrong_answers)
    with pytest.raises(ValidationError, match="cool-down"):
        services.attempt_start(actor=user, assessment=assessment)
    with time_machine.travel(timezone.now() + later(31), tick=False):
        _take(user, assessment, wrong_answers)
    with (
        time_machine.travel(timezone.now() + later(70), tick=False),
        pytest.raises(ValidationError, match="used all 2 attempts"),
    ):
        services.attempt_start(actor=user, assessment=assessment)
    assert Attempt.objects.filter(person=operator).count() == 2


def test_only_the_trainee_answers_and_signs_their_attempt(course, operator, coordinator):
    from django.core.exceptions import PermissionDenied

    _, assessment = course
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    with pytest.raises(PermissionDenied):
        services.attempt_submit(actor=coordinator, attempt=attempt, answers={})
    attempt = services.attempt_submit(
        actor=operator.user, attempt=attempt, answers=right_answers(attempt)
    )
    with pytest.raises(PermissionDenied):
        services.attempt_sign(actor=coordinator, attempt=attempt, credentials=creds(coordinator))
    assert not TrainingRecord.objects.filter(person=operator).exists()


def test_a_wrong_password_signs_nothing(course, operator):
    from qualify.signatures.services import Credentials, SignatureRefused

    _, assessment = course
    user = operator.user
    attempt = _take(user, assessment, right_answers)
    with pytest.raises(SignatureRefused):
        services.attempt_sign(
            actor=user,
            attempt=attempt,
            credentials=Credentials(username=user.username, password="wrong"),
        )
    attempt.refresh_from_db()
    assert attempt.record is None
    assert not TrainingRecord.objects.filter(person=operator).exists()
