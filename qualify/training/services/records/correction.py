"""R1: a correction is a new record superseding the old one."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents.models import VersionStatus
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials, SignerProof, authenticate_signer
from qualify.training import engine
from qualify.training.models import TRAINER_METHODS, Evidence, Method, TrainingRecord
from qualify.training.services.records._common import (
    COMPLETED,
    READ,
    TRAINED_BY,
    _attested,
    _check_evidence,
    _checked_evidence,
    _late,
    _may_record,
    _passed,
    _save,
    _score,
    _trainee_user,
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
    checked = None
    if upload is not None:
        checked = _checked_evidence(upload)
        new.evidence_sha256 = checked.sha256
    _check_evidence(requirement, new.evidence)

    proofs: list[tuple[SignerProof, str]] = []
    trainee_meaning = READ if old.method == Method.READ_AND_UNDERSTAND else COMPLETED
    trainee_user = _trainee_user(person)
    if old.method in TRAINER_METHODS:
        if not _may_record(actor) or new.trainer is None or new.trainer.user_id != actor.pk:
            raise PermissionDenied("Only the trainer of the training can correct its record.")
        if new.trainer.pk == person.pk:
            raise ValidationError({"trainer": "A trainee cannot be their own trainer."})
        needed = requirement.trainer_requirement
        if needed is not None and not engine.is_qualified(new.trainer, needed, at=new.completed_at):
            raise ValidationError(
                {"trainer": f"{new.trainer.full_name} was not qualified on {needed.code} then."}
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
        if upload is not None and checked is not None:
            new.evidence_file.save(checked.name, upload, save=False)
        saved = _save(
            new,
            actor=actor,
            proofs=proofs,
            now=now,
            action="training.record.corrected",
            reason=reason,
            passed=new.evidence != Evidence.ASSESSMENT or _passed(new.score, new.pass_mark),
        )
        # R1: the original's own trail says it was corrected, by which record and why
        # (the original row itself never changes).
        audit.record(
            "training.record.superseded",
            old,
            actor=actor,
            before=audit.state_of(old),
            reason=reason,
            detail={"superseded_by": saved.pk},
        )
        return saved
