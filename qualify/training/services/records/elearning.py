"""E-learning completed in a content package (issue 15): the trainee signs
"completed training" once the package reports completion; the record is bound to the
package version the learner played, which must be the version the record of the
requirement is due on (the assignment's, else the one in force)."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.documents.models import DocumentVersion
from qualify.org.models import Person
from qualify.signatures.services import Credentials, authenticate_signer
from qualify.training.models import Evidence, Method, Requirement, TrainingRecord
from qualify.training.services.paths import check_prerequisites
from qualify.training.services.records._common import (
    COMPLETED,
    _check_evidence,
    _check_requirement,
    _open_assignment,
    _passed,
    _save,
    _score,
    _trainee_user,
    _version_for,
)


def elearning_version(
    *, person: Person, requirement: Requirement, at: Any = None
) -> DocumentVersion | None:
    """The package version a record of `requirement` by `person` would be bound to now:
    the version the open assignment names (once approved), else the one in force."""
    return _version_for(requirement, _open_assignment(person, requirement), at or timezone.now())


def record_elearning(
    *,
    actor: Any,
    person: Person,
    requirement: Requirement,
    version: DocumentVersion,
    credentials: Credentials,
    score: Any = None,
    evidence_sha256: str = "",
    notes: str = "",
    bind: Callable[[TrainingRecord], None] | None = None,
) -> TrainingRecord:
    """The trainee signs (meaning completed_training) that they completed the package
    `version`. With an assessment requirement the score is kept against the pass mark
    (a failed score is recorded and leaves the assignment open). `evidence_sha256` is
    the digest of the runtime data kept as evidence, so the signature covers it;
    `bind(record)` runs in the same transaction (the caller links its evidence)."""
    user = _trainee_user(person)
    if actor is None or actor.pk != user.pk:
        raise ValidationError("Only the learner signs the completion of their e-learning.")
    _check_requirement(actor, requirement, {Method.ELEARNING}, "record it with its own method")
    value = _score(score) if score is not None else None
    assessed = requirement.evidence_required == Evidence.ASSESSMENT
    if assessed and value is None:
        raise ValidationError(
            {"score": f"{requirement.code} needs a score; the package reported none."}
        )
    evidence = Evidence.ASSESSMENT if assessed else Evidence.SIGNATURE
    _check_evidence(requirement, evidence)
    now = timezone.now()
    due = elearning_version(person=person, requirement=requirement, at=now)
    if due is None or due.pk != version.pk:
        raise ValidationError(
            {
                "document_version": f"This attempt played {version}; training on "
                f"{requirement.code} is now due on {due}. Start the new version."
            }
        )
    # L4: a locked item cannot be completed (refused and audited by the one check).
    check_prerequisites(actor=actor, person=person, requirement=requirement, at=now)
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=COMPLETED)
    with transaction.atomic():
        record = TrainingRecord(
            person=person,
            requirement=requirement,
            document_version=version,
            method=Method.ELEARNING,
            completed_at=now,
            recorded_at=now,
            evidence=evidence,
            score=value,
            pass_mark=requirement.pass_mark if assessed else None,
            evidence_sha256=evidence_sha256,
            notes=notes,
            entered_by=actor,
        )
        record = _save(
            record,
            actor=actor,
            proofs=[(proof, COMPLETED)],
            now=now,
            passed=_passed(value, requirement.pass_mark) if assessed else True,
        )
        if bind is not None:
            bind(record)
        return record
