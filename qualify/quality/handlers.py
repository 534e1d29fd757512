"""Reactions to lower layers' hooks, in their transaction (qualify.hooks)."""

from functools import partial

from django.db import transaction
from django.db.models import Q

from qualify.quality.models import ActionKind, ActionStatus, CapaAction, Deviation
from qualify.training.events import REQUALIFICATION, assignment_completed, qualification_lost


@assignment_completed.connect
def training_action_progress(*, actor, assignment, record, **kwargs) -> None:
    """E3: the record that completes an assignment may be the last a CAPA action needs;
    its status then changes in this same transaction."""
    from qualify.quality.services.capa_actions import action_evaluate

    requirement = assignment.requirement_id
    actions = (
        CapaAction.objects.filter(
            kind=ActionKind.TRAINING,
            status__in=[ActionStatus.OPEN, ActionStatus.AWAITING_VERIFICATION],
            targets__person_id=assignment.person_id,
        )
        .filter(Q(requirement_id=requirement) | Q(effectiveness_requirement_id=requirement))
        .distinct()
        .order_by("pk")
    )
    for action in actions:
        action_evaluate(
            actor=actor,
            action=action,
            because=f"Training record {record.pk} of {assignment.person.full_name} signed.",
        )


def _labels(sources: set[str]) -> dict[str, str]:
    """What revoked a qualification, as people know it: the deviation's number."""
    prefix = "quality.deviation:"
    ids = [int(s[len(prefix) :]) for s in sources if s.startswith(prefix)]
    numbers = dict(Deviation.objects.filter(pk__in=ids).values_list("pk", "number"))
    return {
        s: numbers.get(int(s[len(prefix) :]), s) if s.startswith(prefix) else s for s in sources
    }


@qualification_lost.connect
def qualification_lost_at_once(*, actor, losses, **kwargs) -> None:
    """Issue 4: requalification orders and qualifications lost are notified at once,
    after the commit of the change (no mail for a change that rolls back)."""
    from qualify.ids import ids_text
    from qualify.quality.tasks import LOSS_COLUMNS, notify_losses

    labels = _labels({loss.source for loss in losses if loss.cause == REQUALIFICATION})
    # The losses of one change share cause, instant, label and text: those are written
    # once per group, the people as columns. The queue normalises and stores the task's
    # arguments value by value, so a revision's thousands of losses as one dict each
    # cost several times what the rows of the change cost (P181).
    groups: dict[tuple, dict] = {}
    for loss in losses:
        label = labels.get(loss.source, loss.source)
        key = (loss.cause, loss.lost_at, label, loss.reason_text)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {
                "cause": loss.cause,
                "lost_at": loss.lost_at.isoformat(),
                "label": label,
                "what": loss.reason_text,
                "people": [],
                "requirements": [],
                "assignments": [],
            }
        group["people"].append(loss.person_id)
        group["requirements"].append(loss.requirement_id)
        group["assignments"].append(loss.assignment_id)
    # Each column as one text of ids: the queue normalises its arguments value by value
    # (four times per task), which for a revision's 45,000 losses was three lists of
    # 45,000 numbers each time.
    for group in groups.values():
        for column in LOSS_COLUMNS:
            group[column] = ids_text(group[column])
    transaction.on_commit(partial(notify_losses.enqueue, list(groups.values())), robust=True)
