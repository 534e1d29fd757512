"""An assessment attempt, passed or failed."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.org.models import Person
from qualify.signatures.services import Credentials, authenticate_signer
from qualify.training.models import Evidence, Method, Requirement, TrainingRecord
from qualify.training.services.records._common import (
    COMPLETED,
    READ,
    _check_requirement,
    _open_assignment,
    _passed,
    _save,
    _score,
    _trainee_signer,
    _trainee_user,
    _version_for,
)

# --- assessment -----------------------------------------------------------------


def record_assessment(
    *,
    actor: Any,
    person: Person,
    requirement: Requirement,
    score: Any,
    credentials: Credentials,
) -> TrainingRecord:
    """An assessment attempt: score and pass mark are stored and the trainee signs.
    A failed attempt is recorded too (the engine does not count it) and leaves the
    assignment open."""
    user = _trainee_signer(actor, person)
    _check_requirement(
        actor,
        requirement,
        {Method.READ_AND_UNDERSTAND, Method.ELEARNING, Method.CLASSROOM},
        "it has no assessment",
    )
    if requirement.evidence_required != Evidence.ASSESSMENT or requirement.pass_mark is None:
        raise ValidationError({"requirement": f"{requirement.code} has no assessment."})
    value = _score(score)
    now = timezone.now()
    version = _version_for(requirement, _open_assignment(person, requirement), now)
    meaning = READ if requirement.method == Method.READ_AND_UNDERSTAND else COMPLETED
    proof = authenticate_signer(actor=user, credentials=credentials, meaning=meaning)
    with transaction.atomic():
        record = TrainingRecord(
            person=person,
            requirement=requirement,
            document_version=version,
            method=requirement.method,
            completed_at=now,
            recorded_at=now,
            evidence=Evidence.ASSESSMENT,
            score=value,
            pass_mark=requirement.pass_mark,
            entered_by=actor,
        )
        return _save(
            record,
            actor=actor,
            proofs=[(proof, meaning)],
            now=now,
            passed=_passed(value, requirement.pass_mark),
        )


# --- an assessment attempt of qualify.assessments ------------------------------------

COMPLETED_ASSESSMENT = "completed_assessment"


def record_assessment_attempt(
    *,
    actor: Any,
    person: Person,
    requirement: Requirement,
    score: Any,
    pass_mark: Any,
    credentials: Credentials,
    evidence_sha256: str,
    notes: str = "",
    check: Callable[[], None] | None = None,
    bind: Callable[[TrainingRecord], None] | None = None,
) -> TrainingRecord:
    """L1: the trainee signs the result of an assessment attempt, meaning
    completed_assessment. The record keeps the score and pass mark (Q8) and, as
    `evidence_sha256`, the digest of the attempt (bank version, questions drawn,
    answers, score), so the signature covers the attempt. A failed attempt is recorded
    too and leaves the assignment open. `check()` runs again inside the transaction
    (the caller re-reads its locked rows); `bind(record)` links the attempt."""
    user = _trainee_user(person)
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied("Only the trainee signs the result of their assessment.")
    _check_requirement(
        actor,
        requirement,
        {Method.READ_AND_UNDERSTAND, Method.ELEARNING, Method.CLASSROOM},
        "it has no assessment",
    )
    value, mark = _score(score), _score(pass_mark)
    now = timezone.now()
    version = _version_for(requirement, _open_assignment(person, requirement), now)
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=COMPLETED_ASSESSMENT)
    with transaction.atomic():
        if check is not None:
            check()
        record = TrainingRecord(
            person=person,
            requirement=requirement,
            document_version=version,
            method=requirement.method,
            completed_at=now,
            recorded_at=now,
            evidence=Evidence.ASSESSMENT,
            score=value,
            pass_mark=mark,
            evidence_sha256=evidence_sha256,
            notes=notes,
            entered_by=actor,
        )
        record = _save(
            record,
            actor=actor,
            proofs=[(proof, COMPLETED_ASSESSMENT)],
            now=now,
            passed=_passed(value, mark),
        )
        if bind is not None:
            bind(record)
        return record
