"""Classroom and on-the-job: the trainer records what they delivered, both sign."""

import datetime as dt
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.org.models import Person
from qualify.signatures.services import Credentials, authenticate_signer
from qualify.training import engine
from qualify.training.models import Evidence, Method, Requirement, TrainingRecord
from qualify.training.services.paths import check_prerequisites
from qualify.training.services.records._common import (
    COMPLETED,
    TRAINED_BY,
    _attested,
    _check_evidence,
    _check_requirement,
    _late,
    _may_record,
    _open_assignment,
    _save,
    _trainee_user,
    _version_for,
)

# --- classroom and on-the-job ----------------------------------------------------------------


def _refuse(
    actor: Any, trainee: Person, requirement: Requirement, method: str, error: ValidationError
) -> NoReturn:
    """A5: a sign-off refused for a reason a regulation cares about (the trainer was not
    qualified, the evidence of understanding is missing) is audited, then refused. No
    transaction is open yet, so the event is committed on its own and survives."""
    why = " ".join(error.messages)
    audit.record_refusal(
        "training.record.refused",
        actor=actor,
        obj=trainee,
        why=why,
        detail={"requirement": requirement.code, "method": method},
    )
    raise error


def _plan_trained(
    *,
    method: str,
    actor: Any,
    trainee: Person,
    requirement: Requirement,
    attested_at: dt.datetime,
    checklist_ok: bool,
    notes: str,
    now: dt.datetime,
) -> tuple[TrainingRecord, Any]:
    """Every check of a trained record, before any signature: the unsaved record and
    the trainee's user, who signs it."""
    if not _may_record(actor):
        raise PermissionDenied("Only a trainer can record training they delivered.")
    _check_requirement(actor, requirement, {method}, "record it with its own method")
    trainer = Person.objects.filter(user_id=actor.pk, active=True).first()
    if trainer is None:
        raise ValidationError({"trainer": "The trainer has no active person record."})
    if trainer.pk == trainee.pk:
        raise ValidationError({"trainer": "A trainee cannot be their own trainer."})
    user = _trainee_user(trainee)
    attested_at = _attested(attested_at, now)
    # L4: not before the trainee completed the prerequisites (refused and audited).
    check_prerequisites(actor=actor, person=trainee, requirement=requirement, at=attested_at)
    needed = requirement.trainer_requirement
    if needed is None:
        raise ValidationError(
            {
                "requirement": f"{requirement.code} names no trainer qualification, "
                "so no trainer can sign it off."
            }
        )
    if not engine.is_qualified(trainer, needed, at=attested_at):
        # Q4: the trainer must be qualified to train R at the time of the training.
        _refuse(
            actor,
            trainee,
            requirement,
            method,
            ValidationError(
                {
                    "trainer": f"{trainer.full_name} was not qualified on {needed.code} at "
                    f"{attested_at:%Y-%m-%d %H:%M %Z} and so could not train "
                    f"{requirement.code}."
                }
            ),
        )
    demonstrated = checklist_ok and (
        method == Method.ON_THE_JOB or requirement.evidence_required == Evidence.DEMONSTRATION
    )
    if method == Method.ON_THE_JOB and not checklist_ok:
        raise ValidationError(
            {"checklist_ok": "The practical's checklist was not met: nothing is recorded."}
        )
    evidence = Evidence.DEMONSTRATION if demonstrated else Evidence.SIGNATURE
    try:
        _check_evidence(requirement, evidence)  # Q8 (OSHA PSM: an observed demonstration)
    except ValidationError as refused:
        _refuse(actor, trainee, requirement, method, refused)
    version = _version_for(requirement, _open_assignment(trainee, requirement), attested_at)
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
    return record, user


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
    now = timezone.now()
    record, user = _plan_trained(
        method=method,
        actor=actor,
        trainee=trainee,
        requirement=requirement,
        attested_at=attested_at,
        checklist_ok=checklist_ok,
        notes=notes,
        now=now,
    )
    trainee_proof = authenticate_signer(
        actor=user, credentials=trainee_credentials, meaning=COMPLETED
    )
    trainer_proof = authenticate_signer(
        actor=actor, credentials=trainer_credentials, meaning=TRAINED_BY
    )
    with transaction.atomic():
        return _save(
            record,
            actor=actor,
            proofs=[(trainee_proof, COMPLETED), (trainer_proof, TRAINED_BY)],
            now=now,
        )


# Refusals about the session as a whole (not one attendee).
SESSION_FIELDS = {"requirement", "trainer", "attested_at", "evidence", "checklist_ok"}


class AttendeesRefused(ValidationError):
    """Some attendees could not sign: nothing of the session was recorded.
    `by_person` maps each refused attendee's person id to the reason."""

    def __init__(self, by_person: dict[int, ValidationError]):
        count = len(by_person)
        super().__init__(
            f"Nothing was recorded: {count} attendee(s) could not sign. Correct and sign again."
        )
        self.by_person = by_person


def record_classroom_session(
    *,
    actor: Any,
    requirement: Requirement,
    attested_at: dt.datetime,
    attendees: list[tuple[Person, Credentials]],
    trainer_credentials: Credentials,
    notes: str = "",
) -> list[TrainingRecord]:
    """A whole classroom session, all or nothing: every attendee present signs
    completed_training and the trainer signs trained_by on each record. If any
    attendee is refused (a wrong password, a deactivated person) nothing is recorded
    and AttendeesRefused names them; a refusal of the session itself (the trainer not
    qualified, a time in the future) is raised as it is."""
    if not attendees:
        raise ValidationError("Name at least one attendee who was present.")
    now = timezone.now()
    planned, refused = [], {}
    for trainee, credentials in attendees:
        try:
            record, user = _plan_trained(
                method=Method.CLASSROOM,
                actor=actor,
                trainee=trainee,
                requirement=requirement,
                attested_at=attested_at,
                checklist_ok=True,
                notes=notes,
                now=now,
            )
        except ValidationError as error:
            if set(getattr(error, "error_dict", {})) & SESSION_FIELDS:
                raise
            refused[trainee.pk] = error
        else:
            planned.append((record, user, credentials))
    if refused:
        raise AttendeesRefused(refused)
    trainer_proofs = [
        authenticate_signer(actor=actor, credentials=trainer_credentials, meaning=TRAINED_BY)
        for _ in planned
    ]
    trainee_proofs = []
    for record, user, credentials in planned:
        try:
            proof = authenticate_signer(actor=user, credentials=credentials, meaning=COMPLETED)
        except ValidationError as error:
            refused[record.person_id] = error
        else:
            trainee_proofs.append(proof)
    if refused:
        raise AttendeesRefused(refused)
    with transaction.atomic():
        return [
            _save(
                record,
                actor=actor,
                proofs=[(trainee_proof, COMPLETED), (trainer_proof, TRAINED_BY)],
                now=now,
            )
            for (record, _, _), trainee_proof, trainer_proof in zip(
                planned, trainee_proofs, trainer_proofs, strict=True
            )
        ]


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
