"""Reactions to lower layers' hooks, in their transaction (qualify.hooks)."""

from django.db.models import Q

from qualify.quality.models import ActionKind, ActionStatus, CapaAction
from qualify.training.events import assignment_completed


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
