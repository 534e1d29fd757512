"""Completion services: each creates an immutable, signed TrainingRecord (R1) with
recorded_at = now (Q7) and, in the same transaction, completes the open assignment it
satisfies (G7) and fires `training.events.assignment_completed` (E3).

Every record carries every signature its method needs (Q4): the trainee's, and for
classroom and on-the-job the trainer's. Credentials are checked before the
transaction (S1); signatures are applied inside it. Times: completed_at is the
server's time unless a trainer or a certificate attests when training happened (T1),
in which case that time is kept beside recorded_at, never in the future, and flagged
as a late entry when older than the site's delay.
"""

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents import timeline
from qualify.documents.models import DocumentVersion, VersionStatus
from qualify.org.models import Person
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials, SignerProof, authenticate_signer, sign
from qualify.training import engine, events
from qualify.training.models import (
    TRAINER_METHODS,
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
                "(Q8); a record without it is refused."
            }
        )


def _attested(attested_at: Any, now: dt.datetime, field: str = "attested_at") -> dt.datetime:
    require_aware(attested_at, field)
    if attested_at > now:
        raise ValidationError({field: "An attested time cannot be in the future (T1)."})
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
    record.full_clean()
    record.save()
    # Audit and signature hashes are of the row as stored (decimals at their scale).
    record.refresh_from_db()
    audit.record(action, record, actor=actor, reason=reason)
    for proof, meaning in proofs:
        sign(proof=proof, obj=record, meaning=meaning)
    record.completed_assignment = _complete(record, actor=actor, now=now, passed=passed)
    return record


def _sha256(upload: Any) -> str:
    digest = hashlib.sha256()
    if hasattr(upload, "seek"):
        upload.seek(0)
    for chunk in File(upload).chunks():
        digest.update(chunk)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return digest.hexdigest()


# --- read and understood -----------------------------------------------------------------


def record_read_and_understood(
    *,
    actor: Any,
    credentials: Credentials,
    assignment: Assignment | None = None,
    person: Person | None = None,
    requirement: Requirement | None = None,
) -> TrainingRecord:
    """The trainee signs that they read and understood the document (meaning
    read_and_understood). The record is bound to the version their open assignment
    names, else the version effective now."""
    if assignment is not None:
        assignment = Assignment.objects.select_related("person", "requirement").get(
            pk=assignment.pk
        )
        if assignment.status != OPEN:
            state = assignment.get_status_display().lower()
            raise ValidationError({"assignment": f"This assignment is already {state}."})
        person, requirement = assignment.person, assignment.requirement
    if person is None or requirement is None:
        raise ValidationError("Name the assignment, or the person and the requirement.")
    user = _trainee_user(person)
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied("Only the trainee can sign that they read and understood.")
    _check_requirement(
        actor, requirement, {Method.READ_AND_UNDERSTAND}, "record it with its own method"
    )
    _check_evidence(requirement, Evidence.SIGNATURE)
    now = timezone.now()
    version = _version_for(requirement, assignment or _open_assignment(person, requirement), now)
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=READ)
    with transaction.atomic():
        record = TrainingRecord(
            person=person,
            requirement=requirement,
            document_version=version,
            method=Method.READ_AND_UNDERSTAND,
            completed_at=now,
            recorded_at=now,
            evidence=Evidence.SIGNATURE,
            entered_by=actor,
        )
        return _save(record, actor=actor, proofs=[(proof, READ)], now=now)


# --- classroom and on-the-job ----------------------------------------------------------------


def _record_trained(
    *,
    method: str,
    actor: Any,
    trainee: Person,
    requirement: Requirement,
    attested_at: dt.datetime,
    trainee_credentials: Credentials,
    trainer_credentials: Credentials,
    checklist_ok: bool,
    notes: str,
) -> TrainingRecord:
    if not _may_record(actor):
        raise PermissionDenied("Only a trainer can record training they delivered.")
    _check_requirement(actor, requirement, {method}, "record it with its own method")
    trainer = Person.objects.filter(user_id=actor.pk, active=True).first()
    if trainer is None:
        raise ValidationError({"trainer": "The trainer has no active person record."})
    if trainer.pk == trainee.pk:
        raise ValidationError({"trainer": "A trainee cannot be their own trainer (S2)."})
    user = _trainee_user(trainee)
    now = timezone.now()
    attested_at = _attested(attested_at, now)
    needed = requirement.trainer_requirement
    if needed is None:
        raise ValidationError(
            {"requirement": f"{requirement.code} names no trainer qualification (Q4)."}
        )
    if not engine.is_qualified(trainer, needed, at=attested_at):
        raise ValidationError(
            {
                "trainer": f"{trainer.full_name} was not qualified on {needed.code} at "
                f"{attested_at:%Y-%m-%d %H:%M %Z} and so could not train {requirement.code} (Q4)."
            }
        )
    demonstrated = checklist_ok and (
        method == Method.ON_THE_JOB or requirement.evidence_required == Evidence.DEMONSTRATION
    )
    if method == Method.ON_THE_JOB and not checklist_ok:
        raise ValidationError(
            {"checklist_ok": "The practical's checklist was not met: nothing is recorded."}
        )
    evidence = Evidence.DEMONSTRATION if demonstrated else Evidence.SIGNATURE
    _check_evidence(requirement, evidence)
    version = _version_for(requirement, _open_assignment(trainee, requirement), attested_at)
    trainee_proof = authenticate_signer(
        actor=user, credentials=trainee_credentials, meaning=COMPLETED
    )
    trainer_proof = authenticate_signer(
        actor=actor, credentials=trainer_credentials, meaning=TRAINED_BY
    )
    with transaction.atomic():
        record = TrainingRecord(
            person=trainee,
            requirement=requirement,
            document_version=version,
            method=method,
            completed_at=attested_at,
            recorded_at=now,
            attested_at=attested_at,
            late_entry=_late(trainee, attested_at, now),
            evidence=evidence,
            trainer=trainer,
            notes=(notes or "").strip(),
            entered_by=actor,
        )
        return _save(
            record,
            actor=actor,
            proofs=[(trainee_proof, COMPLETED), (trainer_proof, TRAINED_BY)],
            now=now,
        )


def record_classroom(
    *,
    actor: Any,
    trainee: Person,
    requirement: Requirement,
    attested_at: dt.datetime,
    trainee_credentials: Credentials,
    trainer_credentials: Credentials,
    checklist_ok: bool = True,
    notes: str = "",
) -> TrainingRecord:
    """The trainer (actor) records a classroom session held at attested_at; trainee
    signs completed_training, trainer signs trained_by."""
    return _record_trained(
        method=Method.CLASSROOM,
        actor=actor,
        trainee=trainee,
        requirement=requirement,
        attested_at=attested_at,
        trainee_credentials=trainee_credentials,
        trainer_credentials=trainer_credentials,
        checklist_ok=checklist_ok,
        notes=notes,
    )


def record_on_the_job(
    *,
    actor: Any,
    trainee: Person,
    requirement: Requirement,
    attested_at: dt.datetime,
    trainee_credentials: Credentials,
    trainer_credentials: Credentials,
    checklist_ok: bool = True,
    notes: str = "",
) -> TrainingRecord:
    """The trainer observed the practical at attested_at, every checklist item met
    (evidence: demonstration)."""
    return _record_trained(
        method=Method.ON_THE_JOB,
        actor=actor,
        trainee=trainee,
        requirement=requirement,
        attested_at=attested_at,
        trainee_credentials=trainee_credentials,
        trainer_credentials=trainer_credentials,
        checklist_ok=checklist_ok,
        notes=notes,
    )


# --- external certificate and assessment ------------------------------------------------------


def _trainee_signer(actor: Any, person: Person) -> Any:
    """The trainee signs; someone holding record_training may enter it for them."""
    user = _trainee_user(person)
    if actor is None or (actor.pk != user.pk and not _may_record(actor)):
        raise PermissionDenied("Only the trainee or a trainer or coordinator can record this.")
    return user


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
    version = _version_for(requirement, None, completed_at)
    proof = authenticate_signer(actor=user, credentials=credentials, meaning=COMPLETED)
    digest = _sha256(evidence_file)
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
        name = getattr(evidence_file, "name", None) or "certificate"
        record.evidence_file.save(name.rsplit("/", 1)[-1], evidence_file, save=False)
        return _save(
            record,
            actor=actor,
            proofs=[(proof, COMPLETED)],
            now=now,
            passed=value is None or _passed(value, mark),
        )


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


# --- R1: correction ------------------------------------------------------------------------------

CORRECTABLE = {
    Method.READ_AND_UNDERSTAND: {"document_version", "score", "notes"},
    Method.ELEARNING: {"score", "notes"},
    Method.CLASSROOM: {"attested_at", "trainer", "score", "notes"},
    Method.ON_THE_JOB: {"attested_at", "trainer", "notes"},
    Method.EXTERNAL: {"completed_at", "score", "evidence_file", "notes"},
}


def record_correct(
    *,
    actor: Any,
    record: TrainingRecord,
    reason: str,
    credentials: Credentials,
    trainee_credentials: Credentials | None = None,
    **fields: Any,
) -> TrainingRecord:
    """R1: a correction is a new record that supersedes the old one, with a reason,
    carrying every signature its method needs; both stay visible.

    For classroom and on-the-job the actor is the (corrected) trainer, signing
    trained_by, and the trainee signs again with `trainee_credentials`. Otherwise the
    trainee signs: the actor themselves, or, when a trainer or coordinator enters the
    correction, with `trainee_credentials`. Server times (completed_at of reading and
    assessments) are never corrected (T1).
    """
    old = TrainingRecord.objects.select_related("person__site", "requirement").get(pk=record.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A correction needs a reason."})
    if not fields:
        raise ValidationError("Name at least one corrected field.")
    unknown = set(fields) - CORRECTABLE[old.method]
    if unknown:
        raise ValidationError(
            f"These fields cannot be corrected on a {old.get_method_display().lower()} "
            f"record: {', '.join(sorted(unknown))}."
        )
    if TrainingRecord.objects.filter(supersedes=old).exists():
        raise ValidationError("This record was already corrected; correct the latest record.")
    check_client(actor, old.requirement.client_id)
    person, requirement = old.person, old.requirement
    now = timezone.now()
    new = TrainingRecord(
        person=person,
        requirement=requirement,
        document_version=old.document_version,
        method=old.method,
        completed_at=old.completed_at,
        recorded_at=now,
        attested_at=old.attested_at,
        late_entry=old.late_entry,
        evidence=old.evidence,
        score=old.score,
        pass_mark=old.pass_mark,
        trainer=old.trainer,
        evidence_file=old.evidence_file.name,
        evidence_sha256=old.evidence_sha256,
        notes=old.notes,
        supersedes=old,
        correction_reason=reason,
        entered_by=actor,
    )
    upload = fields.pop("evidence_file", None)
    if "attested_at" in fields or "completed_at" in fields:
        attested = _attested(
            fields.pop("attested_at", None) or fields.pop("completed_at"), now, "attested_at"
        )
        new.attested_at = new.completed_at = attested
        # Late relative to when the system first learnt of the training.
        new.late_entry = _late(person, attested, old.recorded_at)
    if "score" in fields:
        if old.evidence != Evidence.ASSESSMENT:
            raise ValidationError({"score": "This record has no assessment score."})
        new.score = _score(fields.pop("score"))
    if "document_version" in fields:
        version = fields.pop("document_version")
        if (
            version.document_id != requirement.document_id
            or version.status != VersionStatus.APPROVED
        ):
            raise ValidationError(
                {"document_version": "Choose an approved version of the requirement's document."}
            )
        new.document_version = version
    if "trainer" in fields:
        new.trainer = fields.pop("trainer")
    if "notes" in fields:
        new.notes = (fields.pop("notes") or "").strip()
    if upload is not None:
        new.evidence_sha256 = _sha256(upload)
    _check_evidence(requirement, new.evidence)

    proofs: list[tuple[SignerProof, str]] = []
    trainee_meaning = READ if old.method == Method.READ_AND_UNDERSTAND else COMPLETED
    trainee_user = _trainee_user(person)
    if old.method in TRAINER_METHODS:
        if not _may_record(actor) or new.trainer is None or new.trainer.user_id != actor.pk:
            raise PermissionDenied("Only the trainer of the training can correct its record.")
        if new.trainer.pk == person.pk:
            raise ValidationError({"trainer": "A trainee cannot be their own trainer (S2)."})
        needed = requirement.trainer_requirement
        if needed is not None and not engine.is_qualified(new.trainer, needed, at=new.completed_at):
            raise ValidationError(
                {
                    "trainer": f"{new.trainer.full_name} was not qualified on {needed.code} "
                    "then (Q4)."
                }
            )
        if trainee_credentials is None:
            raise ValidationError({"trainee_credentials": "The trainee signs the correction too."})
        proofs.append(
            (
                authenticate_signer(
                    actor=trainee_user, credentials=trainee_credentials, meaning=trainee_meaning
                ),
                trainee_meaning,
            )
        )
        proofs.append(
            (
                authenticate_signer(actor=actor, credentials=credentials, meaning=TRAINED_BY),
                TRAINED_BY,
            )
        )
    elif actor is not None and actor.pk == trainee_user.pk:
        proofs.append(
            (
                authenticate_signer(actor=actor, credentials=credentials, meaning=trainee_meaning),
                trainee_meaning,
            )
        )
    else:
        if not _may_record(actor):
            raise PermissionDenied("Only the trainee, a trainer or a coordinator can correct this.")
        if trainee_credentials is None:
            raise ValidationError({"trainee_credentials": "The trainee signs the correction."})
        proofs.append(
            (
                authenticate_signer(
                    actor=trainee_user, credentials=trainee_credentials, meaning=trainee_meaning
                ),
                trainee_meaning,
            )
        )
    with transaction.atomic():
        if upload is not None:
            name = getattr(upload, "name", None) or "certificate"
            new.evidence_file.save(name.rsplit("/", 1)[-1], upload, save=False)
        return _save(
            new,
            actor=actor,
            proofs=proofs,
            now=now,
            action="training.record.corrected",
            reason=reason,
            passed=new.evidence != Evidence.ASSESSMENT or _passed(new.score, new.pass_mark),
        )
