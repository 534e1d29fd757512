"""Where a CAPA training action stands, target by target (E2, E3).

One definition, used by the hook that moves an action's status when the last record
is signed, by the closing check, and by the pages.
"""

from decimal import Decimal

from qualify.quality.models import (
    ActionKind,
    ActionStatus,
    CapaAction,
    CapaActionTarget,
    EffectivenessCheck,
)
from qualify.training.models import Assignment, AssignmentStatus, Evidence


def current(assignment: Assignment | None, *, any_version: bool = False) -> Assignment | None:
    """Follow the superseded_by chain to the assignment that now carries the same
    training. For a change control a successor for another document version (G3: a
    later revision) ends the chain: the training it stood for was overtaken, not left
    open. A CAPA action (any_version) needs the person trained whatever the version."""
    seen = set()
    while assignment is not None and assignment.status == AssignmentStatus.SUPERSEDED:
        if assignment.pk in seen or assignment.superseded_by_id is None:
            break
        seen.add(assignment.pk)
        successor = Assignment.objects.get(pk=assignment.superseded_by_id)
        if not any_version and successor.document_version_id != assignment.document_version_id:
            break
        assignment = successor
    return assignment


def _label(target: CapaActionTarget) -> str:
    p = target.person
    return f"{p.full_name} ({p.employee_number})"


def training_pending(target: CapaActionTarget) -> str | None:
    a = current(Assignment.objects.get(pk=target.assignment_id), any_version=True)
    if a.status == AssignmentStatus.COMPLETED:
        return None
    if a.status == AssignmentStatus.CANCELLED:
        why = a.cancel_reason or "no reason"
        return f"{_label(target)}: {a.requirement.code} was cancelled ({why})"
    return f"{_label(target)}: {a.requirement.code} not completed (due {a.due_at:%Y-%m-%d})"


def _passed(record) -> bool:
    if record is None or record.score is None:
        return False
    if record.evidence != Evidence.ASSESSMENT:
        return False
    mark = record.pass_mark if record.pass_mark is not None else record.requirement.pass_mark
    return mark is None or Decimal(record.score) >= Decimal(mark)


def verification_pending(action: CapaAction, target: CapaActionTarget) -> str | None:
    check = action.effectiveness_check
    if check in (EffectivenessCheck.NONE, EffectivenessCheck.REVIEW):
        return None
    proof = current(
        Assignment.objects.get(pk=target.proof_assignment_id or target.assignment_id),
        any_version=True,
    )
    record = proof.record if proof.status == AssignmentStatus.COMPLETED else None
    requirement = action.proof_requirement
    if check == EffectivenessCheck.ASSESSMENT and not _passed(record):
        return f"{_label(target)}: no passed assessment on {requirement.code} yet"
    if check == EffectivenessCheck.OBSERVATION and (
        record is None or record.trainer_id is None or record.evidence != Evidence.DEMONSTRATION
    ):
        return f"{_label(target)}: no trainer's observation signed on {requirement.code} yet"
    return None


def action_pending(action: CapaAction) -> tuple[list[str], list[str]]:
    """(training not done, effectiveness not verified) as sentences."""
    if action.kind != ActionKind.TRAINING:
        return [], []
    targets = list(action.targets.select_related("person"))
    training = [m for t in targets if (m := training_pending(t))]
    verification = [m for t in targets if (m := verification_pending(action, t))]
    if (
        action.effectiveness_check == EffectivenessCheck.REVIEW
        and not action.reviews.filter(effective=True).exists()
    ):
        verification.append(
            f"effectiveness review due on {action.review_on:%Y-%m-%d} not yet signed"
        )
    return training, verification


def action_open_items(action: CapaAction) -> list[str]:
    if action.status in (ActionStatus.COMPLETE, ActionStatus.CANCELLED):
        return []
    head = f"Action {action.pk} ({action.get_kind_display().lower()}: {action.description[:60]})"
    if action.kind != ActionKind.TRAINING:
        return [f"{head} is not complete (owner {action.owner.printed_name})"]
    training, verification = action_pending(action)
    items = [f"{head}: {m}" for m in training]
    if not training:
        items += [f"{head}: {m}" for m in verification]
    return items or [f"{head} is {action.get_status_display().lower()}"]
