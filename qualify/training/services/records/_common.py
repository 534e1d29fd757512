"""What the completion services share: the signature meanings, the checks, binding
a record to its document version, and `_save()`, which stores, audits, signs and
completes the open assignment (G7).
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from qualify.audit import services as audit
from qualify.documents import timeline
from qualify.documents.models import DocumentVersion, VersionStatus
from qualify.documents.uploads import CheckedUpload, check_upload
from qualify.guards import AlreadyDone
from qualify.org.models import Person
from qualify.org.scoping import check_client
from qualify.signatures.services import SignerProof, sign
from qualify.training import events
from qualify.training.models import (
    Assignment,
    AssignmentStatus,
    Evidence,
    Method,
    Requirement,
    TrainingRecord,
)
from qualify.training.services.assignments import OPEN, require_aware

READ = "read_and_understood"
COMPLETED = "completed_training"
TRAINED_BY = "trained_by"
CENT = Decimal("0.01")


# --- checks shared by the services -------------------------------------------------------


def _may_record(actor: Any) -> bool:
    return actor is not None and actor.has_perm("training.record_training")


def _trainee_user(person: Person) -> Any:
    if person.user_id is None:
        raise ValidationError({"person": f"{person} has no user account and so cannot sign."})
    if not person.active:
        raise ValidationError({"person": f"{person} is deactivated."})
    return person.user


def _check_requirement(actor: Any, requirement: Requirement, methods: set[str], use: str) -> None:
    check_client(actor, requirement.client_id)
    if not requirement.active:
        raise ValidationError({"requirement": f"{requirement} is no longer in use."})
    if requirement.method not in methods:
        method = requirement.get_method_display()
        raise ValidationError({"requirement": f"{requirement.code} is {method} training; {use}."})


def _check_evidence(requirement: Requirement, evidence: str) -> None:
    """Q8: a requirement that demands more than a signature refuses a record without it."""
    wanted = requirement.evidence_required
    if wanted != Evidence.SIGNATURE and evidence != wanted:
        label = Evidence(wanted).label.lower()
        raise ValidationError(
            {
                "evidence": f"{requirement.code} requires evidence of understanding by {label} "
                "; a record without it is refused."
            }
        )


def _attested(attested_at: Any, now: dt.datetime, field: str = "attested_at") -> dt.datetime:
    require_aware(attested_at, field)
    if attested_at > now:
        raise ValidationError({field: "An attested time cannot be in the future."})
    return attested_at


def _late(person: Person, attested_at: dt.datetime, known_at: dt.datetime) -> bool:
    return known_at - attested_at > dt.timedelta(hours=person.site.late_entry_hours)


def _score(value: Any) -> Decimal:
    try:
        score = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ValidationError({"score": f"{value!r} is not a score."}) from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({"score": "A score is a percentage from 0 to 100."})
    return score.quantize(CENT)


def _passed(score: Decimal | None, mark: Decimal | None) -> bool:
    return score is not None and mark is not None and score >= mark


def _open_assignment(person: Person, requirement: Requirement) -> Assignment | None:
    return Assignment.objects.filter(person=person, requirement=requirement, status=OPEN).first()


def _satisfies(assignment: Assignment, version: DocumentVersion | None) -> bool:
    """A record satisfies an assignment naming a version when it is made on that
    version's baseline or later (Q2)."""
    wanted = assignment.document_version
    if wanted is None:
        return True
    if version is None or version.document_id != wanted.document_id:
        return False
    baseline = wanted.baseline or wanted
    return version.sequence >= baseline.sequence


def _version_for(
    requirement: Requirement, assignment: Assignment | None, at: dt.datetime
) -> DocumentVersion | None:
    """The version a record of R made at `at` is bound to: the version in force at
    `at`, unless the open assignment names a later approved one, which may be trained
    on ahead of its effective date (it counts once effective, Q4). A version never
    approved is refused."""
    if requirement.document_id is None:
        return None
    document = requirement.document
    current = timeline.effective_version(
        list(document.versions.all()),
        at=at,
        obsolete_from=document.obsolete_from,
        obsolete_recorded_at=document.obsolete_recorded_at,
    )
    if assignment is not None and assignment.document_version_id is not None:
        wanted = assignment.document_version
        if wanted.status != VersionStatus.APPROVED or wanted.effective_from is None:
            raise ValidationError(
                {"document_version": f"{wanted} was never approved; it cannot be trained on."}
            )
        if current is None or current.sequence < wanted.sequence:
            return wanted
    if current is None:
        raise ValidationError(
            {"document_version": f"{document.number} has no approved version in force."}
        )
    return current


def _complete(
    record: TrainingRecord, *, actor: Any, now: dt.datetime, passed: bool = True
) -> Assignment | None:
    """Complete the open assignment the record satisfies (G7), if any."""
    if not passed:
        return None
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("document_version__baseline")
        .filter(person_id=record.person_id, requirement_id=record.requirement_id, status=OPEN)
        .first()
    )
    if assignment is None or not _satisfies(assignment, record.document_version):
        return None
    before = audit.state_of(assignment)
    assignment.status = AssignmentStatus.COMPLETED
    assignment.record = record
    assignment.closed_at = now
    assignment.save(update_fields=["status", "record", "closed_at"])
    audit.record(
        "training.assignment.completed",
        assignment,
        actor=actor,
        before=before,
        reason=f"Completed by training record {record.pk}",
    )
    events.assignment_completed.fire(actor=actor, assignment=assignment, record=record)
    return assignment


# P21: a second submission of the same signing within this time (a double click, a
# second tab, a retried request) is answered with the first record, not a new one.
RESUBMIT_WINDOW = dt.timedelta(minutes=15)
ATTESTED_METHODS = {Method.CLASSROOM, Method.ON_THE_JOB, Method.EXTERNAL}


def _first_submission(record: TrainingRecord, now: dt.datetime) -> TrainingRecord | None:
    """The record a second submission of `record` repeats, if any. Trained and
    external records repeat one with the same attested time; a read-and-understood
    one repeats a signature on the same version moments ago. Assessment attempts are
    each their own record (L1), corrections are refused twice by `supersedes`."""
    live = TrainingRecord.objects.filter(
        person_id=record.person_id,
        requirement_id=record.requirement_id,
        method=record.method,
        superseded_by__isnull=True,
    )
    if record.method in ATTESTED_METHODS:
        return live.filter(completed_at=record.completed_at).order_by("pk").first()
    if record.method == Method.READ_AND_UNDERSTAND:
        first = (
            live.filter(
                document_version_id=record.document_version_id,
                recorded_at__gte=now - RESUBMIT_WINDOW,
            )
            .order_by("pk")
            .first()
        )
        # Training asked for since (a requalification order) makes a new signing.
        if (
            first is not None
            and not Assignment.objects.filter(
                person_id=record.person_id,
                requirement_id=record.requirement_id,
                status=OPEN,
                created_at__gte=first.recorded_at,
            ).exists()
        ):
            return first
    return None


def _refuse_second_submission(record: TrainingRecord, now: dt.datetime) -> None:
    """P21: lock the trainee's row, then look for the first submission. Two requests
    for the same trainee queue on the lock (on SQLite, on the IMMEDIATE transaction),
    so the second one sees the first one's record once it is committed."""
    if (
        record.supersedes_id is not None
        or record.method == Method.ELEARNING
        or record.evidence == Evidence.ASSESSMENT
    ):
        # Assessment attempts are each their own record (L1).
        return
    Person.objects.select_for_update().filter(pk=record.person_id).values_list("pk").first()
    first = _first_submission(record, now)
    if first is not None:
        raise AlreadyDone(
            f"This training was already recorded (record {first.pk}, "
            f"{first.recorded_at:%Y-%m-%d %H:%M} UTC); nothing new was written.",
            existing=first,
        )


def _save(
    record: TrainingRecord,
    *,
    actor: Any,
    proofs: list[tuple[SignerProof, str]],
    now: dt.datetime,
    action: str = "training.record.created",
    reason: str = "",
    passed: bool = True,
) -> TrainingRecord:
    _refuse_second_submission(record, now)
    record.full_clean()
    record.save()
    # Audit and signature hashes are of the row as stored (decimals at their scale).
    record.refresh_from_db()
    audit.record(action, record, actor=actor, reason=reason)
    for proof, meaning in proofs:
        sign(proof=proof, obj=record, meaning=meaning)
    record.completed_assignment = _complete(record, actor=actor, now=now, passed=passed)
    return record


def _checked_evidence(upload: Any) -> CheckedUpload:
    """Evidence files are inert content checked by their bytes (issue 10): type,
    size, no markup or active PDF content; returns the safe name and SHA-256."""
    return check_upload(upload, field="evidence_file")


def _trainee_signer(actor: Any, person: Person) -> Any:
    """The trainee signs; someone holding record_training may enter it for them."""
    user = _trainee_user(person)
    if actor is None or (actor.pk != user.pk and not _may_record(actor)):
        raise PermissionDenied("Only the trainee or a trainer or coordinator can record this.")
    return user
