"""Learning-path writes (issue 14, L4): a curriculum item's prerequisite (cycles
refused), the prerequisite check every completion service makes before its
transaction, and a new hire's onboarding plan.

Hazard: a refused start or completion is audited with `record_refusal`, which must run
outside the caller's transaction to survive it; `check_prerequisites` is therefore
called before the completion service opens its transaction, like the signer's
credentials (S1).
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.audit.registry import register_actions
from qualify.guards import require_aware, require_reason
from qualify.org.models import Person
from qualify.org.scoping import check_client
from qualify.training import paths
from qualify.training.models import (
    Curriculum,
    CurriculumItem,
    OnboardingPlan,
    OnboardingStep,
    Requirement,
)

register_actions(
    {
        "training.curriculum.prerequisite_set": "Curriculum item prerequisite set",
        # A5 / L4: a prerequisite that would close a cycle across the curricula.
        "training.curriculum.prerequisite_refused": "Curriculum prerequisite refused (cycle)",
        # A5 / L4: training started or signed before its prerequisite was complete.
        "training.record.prerequisite_refused": "Training refused: prerequisite not complete",
        "training.onboarding.generated": "Onboarding plan generated",
    }
)


def _manage(actor: Any) -> None:
    if actor is None or not actor.has_perm("training.manage_requirements"):
        raise PermissionDenied("Only a training coordinator can change curricula.")


def check_cycle(
    *, actor: Any, curriculum: Curriculum, requirement: Requirement, prerequisite: Requirement
) -> None:
    """L4: refuse (and audit) a prerequisite that would close a cycle across every
    curriculum. Call it before the caller's transaction opens, or accept that the
    refusal joins it (record_refusal)."""
    graph = paths.prerequisite_graph()
    # The item's own current edge is replaced, not added to.
    chain = paths.cycle_through(graph, requirement.pk, prerequisite.pk)
    if chain is None:
        return
    codes = dict(Requirement.objects.filter(pk__in=set(chain)).values_list("pk", "code"))
    loop = " needs ".join(codes[pk] for pk in chain)
    message = (
        f"{requirement.code} cannot need {prerequisite.code}: that would make a cycle "
        f"({loop}), and nobody could ever start them. Nothing was saved."
    )
    audit.record_refusal(
        "training.curriculum.prerequisite_refused",
        actor=actor,
        obj=curriculum,
        why=message,
        detail={"requirement": requirement.code, "prerequisite": prerequisite.code},
    )
    raise ValidationError({"prerequisite": message})


def curriculum_item_set_prerequisite(
    *, actor: Any, item: CurriculumItem, prerequisite: Requirement | None, reason: str
) -> CurriculumItem:
    """Set or clear the prerequisite of a curriculum item. The prerequisite must be
    another item of the same curriculum; a cycle across all curricula is refused."""
    _manage(actor)
    reason = require_reason(reason)
    item = CurriculumItem.objects.select_related("curriculum", "requirement").get(pk=item.pk)
    check_client(actor, item.requirement.client_id)
    if prerequisite is not None:
        if not item.curriculum.items.filter(requirement=prerequisite).exists():
            raise ValidationError(
                {
                    "prerequisite": f"{prerequisite.code} is not an item of "
                    f"{item.curriculum.code}; add it first."
                }
            )
        check_cycle(
            actor=actor,
            curriculum=item.curriculum,
            requirement=item.requirement,
            prerequisite=prerequisite,
        )
    with transaction.atomic():
        item = CurriculumItem.objects.select_for_update().get(pk=item.pk)
        before = audit.state_of(item)
        item.prerequisite = prerequisite
        item.full_clean()
        item.save(update_fields=["prerequisite"])
        audit.record(
            "training.curriculum.prerequisite_set", item, actor=actor, before=before, reason=reason
        )
    return item


def check_prerequisites(
    *, actor: Any, person: Person, requirement: Requirement, at: dt.datetime | None = None
) -> None:
    """L4: refuse (audited) starting or completing R before P is qualified on every
    prerequisite of R in P's curricula. Call before the completion's transaction."""
    missing = paths.missing_prerequisites(person, requirement, at=at)
    if not missing:
        return
    message = paths.prerequisite_refusal(requirement, missing)
    audit.record_refusal(
        "training.record.prerequisite_refused",
        actor=actor,
        obj=person,
        why=message,
        detail={"requirement": requirement.code, "missing": [r.code for r in missing]},
    )
    raise ValidationError({"requirement": message})


@transaction.atomic
def onboarding_generate(*, actor: Any, person: Person, starts_at: dt.datetime) -> OnboardingPlan:
    """P44: a new hire's onboarding plan from the job functions they hold at
    `starts_at`, with a target date per item (paths.onboarding_targets)."""
    if actor is None or not actor.has_perm("training.assign_training"):
        raise PermissionDenied("Only a training coordinator can plan onboarding.")
    require_aware(starts_at, "starts_at")
    targets = paths.onboarding_targets(person, starts_at=starts_at)
    if not targets:
        raise ValidationError(
            {
                "person": f"{person} holds no job function with training on "
                f"{starts_at:%Y-%m-%d}; record the job first."
            }
        )
    plan = OnboardingPlan.objects.create(
        person=person, starts_at=starts_at, generated_at=timezone.now(), generated_by=actor
    )
    steps = [
        OnboardingStep(
            plan=plan,
            requirement=requirement,
            position=index,
            target_at=target,
            prerequisite_id=prerequisite,
            job_function_id=function,
            curriculum_id=curriculum,
        )
        for index, (requirement, _, target, prerequisite, function, curriculum) in enumerate(
            targets, start=1
        )
    ]
    OnboardingStep.objects.bulk_create(steps)
    audit.record(
        "training.onboarding.generated",
        plan,
        actor=actor,
        reason=f"{len(steps)} steps from {starts_at:%Y-%m-%d}",
    )
    return plan
