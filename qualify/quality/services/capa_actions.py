"""CAPA actions: add (a training action assigns retraining, G5), complete, cancel,
effectiveness review; and the evaluation that moves an action's status in the
transaction of the last record it needs (E3)."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from qualify.audit import services as audit
from qualify.org.models import JobAssignment, JobFunction, Person
from qualify.quality import events
from qualify.quality.models import (
    ActionKind,
    ActionStatus,
    Capa,
    CapaAction,
    CapaActionTarget,
    CapaStatus,
    EffectivenessCheck,
    EffectivenessReview,
)
from qualify.quality.queries.capa_state import action_pending
from qualify.quality.services.clients import require_client_access
from qualify.quality.services.common import QualityRefused, now, require
from qualify.signatures.services import Credentials, authenticate_signer, sign
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    Evidence,
    Method,
    Requirement,
)
from qualify.training.services.assignments import cancel_assignments

MANAGE = "quality.manage_capa"
DONE = (ActionStatus.COMPLETE, ActionStatus.CANCELLED)


def _holders(job_functions: list[JobFunction], at: dt.datetime) -> list[tuple[Person, JobFunction]]:
    rows = (
        JobAssignment.objects.filter(job_function__in=job_functions, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .filter(person__active=True)
        .select_related("person", "job_function")
        .order_by("person__pk")
    )
    return [(r.person, r.job_function) for r in rows]


def _check_training_action(
    requirement, people, job_functions, check, proof_requirement, review_on, at
) -> None:
    if requirement is None:
        raise ValidationError(
            {"requirement": "A training action names the requirement to retrain."}
        )
    if not people and not job_functions:
        raise ValidationError("A training action names people or job functions.")
    left = [p for p in people if not p.active]
    if left:
        names = ", ".join(
            f"{p.full_name} ({p.employee_number}) has left"
            + (f" since {p.deactivated_at:%Y-%m-%d}" if p.deactivated_at else "")
            for p in left
        )
        raise ValidationError(f"A training action cannot name a person who has left: {names}.")
    proof = proof_requirement or requirement
    if check == EffectivenessCheck.ASSESSMENT and not (
        proof.method == Method.ELEARNING or proof.evidence_required == Evidence.ASSESSMENT
    ):
        raise ValidationError(
            {"effectiveness_requirement": f"{proof.code} has no assessment to pass."}
        )
    if check == EffectivenessCheck.OBSERVATION and proof.method != Method.ON_THE_JOB:
        raise ValidationError(
            {"effectiveness_requirement": f"{proof.code} is not an on-the-job observation."}
        )
    if check == EffectivenessCheck.REVIEW and (review_on is None or review_on <= at):
        raise ValidationError({"review_on": "An effectiveness review is set on a later date."})


def _assign(*, actor, person, requirement, action) -> Assignment:
    """G5: an individual assignment linked to the action. An open assignment for the
    pair is superseded by it (training services keep the earlier due date)."""
    from qualify.training.services.assignments import assignment_create_individual

    return assignment_create_individual(
        actor=actor,
        person=person,
        requirement=requirement,
        due_at=action.due_at,
        reason=AssignmentReason.QUALITY_EVENT,
        source=action.source_key,
        reason_text=f"{action.capa.number}: {action.description}"[:300],
    )


def capa_action_add(
    *,
    actor: Any,
    capa: Capa,
    kind: str,
    description: str,
    owner: Any,
    due_at: dt.datetime,
    requirement: Requirement | None = None,
    people: Iterable[Person] = (),
    job_functions: Iterable[JobFunction] = (),
    effectiveness_check: str = EffectivenessCheck.NONE,
    effectiveness_requirement: Requirement | None = None,
    review_on: dt.datetime | None = None,
) -> CapaAction:
    """Add an action to an open CAPA. A client-restricted actor may add actions only to
    CAPAs of their clients (U2), never to an in-house or another client's CAPA."""
    require(actor, MANAGE, "add CAPA actions")
    require_client_access(actor, capa)
    people, job_functions = list(people), list(job_functions)
    at = now()
    if kind == ActionKind.TRAINING:
        _check_training_action(
            requirement,
            people,
            job_functions,
            effectiveness_check,
            effectiveness_requirement,
            review_on,
            at,
        )
    elif requirement or people or job_functions:
        raise ValidationError(
            "Only a training action names a requirement, people or job functions."
        )
    with transaction.atomic():
        capa = Capa.objects.select_for_update().get(pk=capa.pk)
        if capa.status != CapaStatus.OPEN:
            raise ValidationError(f"{capa.number} is closed.")
        action = CapaAction(
            capa=capa,
            kind=kind,
            description=description,
            owner=owner,
            due_at=due_at,
            requirement=requirement,
            effectiveness_check=effectiveness_check,
            effectiveness_requirement=effectiveness_requirement,
            review_on=review_on,
            created_at=at,
            created_by=actor,
        )
        action.full_clean()
        action.save()
        action.people.set(people)
        action.job_functions.set(job_functions)
        audit.record(
            "quality.capa_action.created",
            action,
            actor=actor,
            detail={
                "people": [p.employee_number for p in people],
                "job_functions": [j.code for j in job_functions],
            },
        )
        if kind == ActionKind.TRAINING:
            _create_targets(actor, action, people, job_functions, at)
        _flag_retraining_only(actor, capa)
        events.capa_action_added.fire(actor=actor, action=action)
    return action


def _create_targets(actor, action, people, job_functions, at) -> None:
    wanted: dict[int, tuple[Person, JobFunction | None]] = {p.pk: (p, None) for p in people}
    for person, job_function in _holders(job_functions, at):
        wanted.setdefault(person.pk, (person, job_function))
    if not wanted:
        raise ValidationError(
            "Nobody holds these job functions now: the action would retrain nobody."
        )
    proof_requirement = action.effectiveness_requirement
    events = []
    for person, job_function in wanted.values():
        assignment = _assign(
            actor=actor, person=person, requirement=action.requirement, action=action
        )
        proof = None
        if proof_requirement and proof_requirement.pk != action.requirement_id:
            proof = _assign(
                actor=actor, person=person, requirement=proof_requirement, action=action
            )
        target = CapaActionTarget.objects.create(
            action=action,
            person=person,
            assignment=assignment,
            proof_assignment=proof,
            via_job_function=job_function,
        )
        events.append(audit.pending("quality.capa_action.target_assigned", target, actor=actor))
    audit.record_many(events)


def _flag_retraining_only(actor, capa: Capa) -> None:
    """E4: a CAPA whose only action is retraining is flagged for QA review."""
    kinds = set(capa.actions.exclude(status=ActionStatus.CANCELLED).values_list("kind", flat=True))
    flag = kinds == {ActionKind.TRAINING}
    if flag != capa.qa_review_required:
        before = audit.state_of(capa)
        capa.qa_review_required = flag
        capa.save(update_fields=["qa_review_required"])
        audit.record(
            "quality.capa.flagged_for_review",
            capa,
            actor=actor,
            before=before,
            reason="Retraining is the only action (E4)."
            if flag
            else "An action other than retraining was added.",
        )


def action_evaluate(*, actor: Any, action: CapaAction, because: str) -> CapaAction:
    """E3: move the action's status as far as its records allow, in the caller's
    transaction. Idempotent; called whenever a record it may need is signed."""
    action = CapaAction.objects.select_for_update().get(pk=action.pk)
    if action.status in DONE or action.kind != ActionKind.TRAINING:
        return action
    training, verification = action_pending(action)
    if training:
        return action
    if action.status == ActionStatus.OPEN:
        before = audit.state_of(action)
        action.status = ActionStatus.AWAITING_VERIFICATION
        action.training_completed_at = now()
        action.save(update_fields=["status", "training_completed_at"])
        audit.record(
            "quality.capa_action.training_completed",
            action,
            actor=actor,
            before=before,
            reason=because,
        )
    if not verification:
        before = audit.state_of(action)
        action.status = ActionStatus.COMPLETE
        action.completed_at = now()
        action.save(update_fields=["status", "completed_at"])
        audit.record(
            "quality.capa_action.completed", action, actor=actor, before=before, reason=because
        )
    return action


def capa_action_complete(
    *, actor: Any, action: CapaAction, credentials: Credentials, comment: str
) -> CapaAction:
    """A corrective or preventive action is completed by a signed verification."""
    require(actor, MANAGE, "complete CAPA actions")
    require_client_access(actor, action.capa)
    if action.kind == ActionKind.TRAINING:
        raise ValidationError("A training action completes itself when its last record is signed.")
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="verified")
    with transaction.atomic():
        action = CapaAction.objects.select_for_update().get(pk=action.pk)
        if action.status in DONE:
            raise ValidationError(f"The action is already {action.get_status_display().lower()}.")
        before = audit.state_of(action)
        action.status = ActionStatus.COMPLETE
        action.completed_at = now()
        action.save(update_fields=["status", "completed_at"])
        sign(proof=proof, obj=action, meaning="verified", comment=comment)
        audit.record(
            "quality.capa_action.completed",
            action,
            actor=actor,
            before=before,
            reason=comment or "Completed and verified.",
        )
    return action


def capa_action_review(
    *, actor: Any, action: CapaAction, effective: bool, comment: str, credentials: Credentials
) -> EffectivenessReview:
    """A review of effectiveness on or after its date, signed 'verified'."""
    require(actor, MANAGE, "review CAPA effectiveness")
    require_client_access(actor, action.capa)
    if action.effectiveness_check != EffectivenessCheck.REVIEW:
        raise ValidationError("This action does not ask for an effectiveness review.")
    if now() < action.review_on:
        raise ValidationError(f"The effectiveness review is due on {action.review_on:%Y-%m-%d}.")
    if action.status != ActionStatus.AWAITING_VERIFICATION:
        raise QualityRefused("The retraining is not complete yet.", action_pending(action)[0])
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="verified")
    with transaction.atomic():
        review = EffectivenessReview.objects.create(
            action=action, reviewed_at=now(), effective=effective, comment=comment, reviewer=actor
        )
        sign(proof=proof, obj=review, meaning="verified", comment=comment)
        audit.record("quality.capa_action.reviewed", review, actor=actor)
        action_evaluate(actor=actor, action=action, because=f"Effectiveness review {review.pk}.")
    return review


def capa_action_cancel(*, actor: Any, action: CapaAction, reason: str) -> CapaAction:
    """G6: cancelling an action cancels the open assignments it made, with the reason."""
    require(actor, MANAGE, "cancel CAPA actions")
    require_client_access(actor, action.capa)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the action is cancelled."})
    with transaction.atomic():
        action = CapaAction.objects.select_for_update().get(pk=action.pk)
        if action.status in DONE:
            raise ValidationError(f"The action is already {action.get_status_display().lower()}.")
        before = audit.state_of(action)
        action.status = ActionStatus.CANCELLED
        action.cancel_reason = reason
        action.save(update_fields=["status", "cancel_reason"])
        audit.record(
            "quality.capa_action.cancelled", action, actor=actor, before=before, reason=reason
        )
        open_made = Assignment.objects.select_for_update().filter(
            source=action.source_key, status=AssignmentStatus.OPEN
        )
        cancel_assignments(
            list(open_made.order_by("pk")),
            actor=actor,
            reason=f"{action.capa.number} action cancelled: {reason}",
            now=now(),
        )
        _flag_retraining_only(actor, action.capa)
    return action
