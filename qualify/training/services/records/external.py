"""An external certificate: the file, its SHA-256 and, if any, its exam score."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.org.models import Person
from qualify.signatures.services import Credentials, authenticate_signer
from qualify.training.models import Evidence, Method, Requirement, TrainingRecord
from qualify.training.services.records._common import (
    COMPLETED,
    _attested,
    _check_evidence,
    _check_requirement,
    _checked_evidence,
    _late,
    _passed,
    _save,
    _score,
    _trainee_signer,
    _version_for,
)

# --- external certificate ------------------------------------------------------


def record_external(
    *,
    actor: Any,
    person: Person,
    requirement: Requirement,
    completed_at: dt.datetime,
    evidence_file: Any,
    credentials: Credentials,
    score: Any = None,
    notes: str = "",
) -> TrainingRecord:
    """An external certificate: the file and its SHA-256 are kept; completed_at is the
    certificate's date (attested, T1). `credentials` are the trainee's: they sign
    completed_training. A certificate with an exam result carries its score (Q8)."""
    user = _trainee_signer(actor, person)
    _check_requirement(actor, requirement, {Method.EXTERNAL}, "record it with its own method")
    now = timezone.now()
    completed_at = _attested(completed_at, now, "completed_at")
    if not evidence_file:
        raise ValidationError({"evidence_file": "Attach the certificate."})
    mark = requirement.pass_mark
    value = None if score is None else _score(score)
    evidence = Evidence.ASSESSMENT if value is not None else Evidence.SIGNATURE
    _check_evidence(requirement, evidence)
    if value is not None and mark is None:
        raise ValidationError({"score": f"{requirement.code} has no pass mark to score against."})
    checked = _checked_evidence(evidence_file)
    version = _version_for(requirement, None, completed_at)
    proof = authenticate_signer(actor=user, credentials=credentials, meaning=COMPLETED)
    digest = checked.sha256
    with transaction.atomic():
        record = TrainingRecord(
            person=person,
            requirement=requirement,
            document_version=version,
            method=Method.EXTERNAL,
            completed_at=completed_at,
            recorded_at=now,
            attested_at=completed_at,
            late_entry=_late(person, completed_at, now),
            evidence=evidence,
            score=value,
            pass_mark=mark if value is not None else None,
            evidence_sha256=digest,
            notes=(notes or "").strip(),
            entered_by=actor,
        )
        record.evidence_file.save(checked.name, evidence_file, save=False)
        return _save(
            record,
            actor=actor,
            proofs=[(proof, COMPLETED)],
            now=now,
            passed=value is None or _passed(value, mark),
        )
