"""An assessment attempt, passed or failed."""

from typing import Any

from django.core.exceptions import ValidationError
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
