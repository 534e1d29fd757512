"""G3: a document revised. The fan-out of retraining, its impact preview for the
approver, and the qualifications lost on the old baseline (Q4).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.documents.models import DocumentVersion
from qualify.gcpause import cycle_collection_paused
from qualify.ids import ids_text
from qualify.org.models import JobFunction, Site
from qualify.training import engine, events
from qualify.training.models import Assignment, AssignmentReason, Requirement
from qualify.training.services.assignments import (
    DEFAULT_WINDOW_DAYS,
    NewAssignment,
    close_superseded,
    create_assignments,
    link_superseded,
    open_pairs,
    source_of,
)
from qualify.training.services.rules.required import RequiredRow, required_pairs, required_rows

# --- G3: document revised ---------------------------------------------------------------


@dataclass
class ImpactPreview:
    """What approving a revision will assign (G3), for the approver to see first."""

    version_id: int
    document: str
    revision: str
    effective_from: dt.datetime
    due_at: dt.datetime
    requirements: list[str]
    people: int
    assignments: int
    superseded: int
    # Counts of distinct people; one person may appear under several job functions.
    by_job_function: dict[str, int] = field(default_factory=dict)
    by_site: dict[str, int] = field(default_factory=dict)
    shortest_window_days: int = DEFAULT_WINDOW_DAYS
    earliest_allowed: dt.datetime | None = None
    window_exception_needed: bool = False


@dataclass
class _RevisionPlan:
    version: DocumentVersion
    effective_from: dt.datetime
    requirements: dict[int, Requirement]
    rows: list[RequiredRow]
    pairs: list[tuple[int, int]]  # to assign, sorted
    replaced: dict[tuple[int, int], Assignment]  # open older assignments to supersede
    shortest_window_days: int
    now: dt.datetime

    @property
    def earliest_allowed(self) -> dt.datetime:
        return self.now + dt.timedelta(days=self.shortest_window_days)

    @property
    def exception_needed(self) -> bool:
        return bool(self.pairs) and self.effective_from < self.earliest_allowed


def _revision_plan(
    version: DocumentVersion, *, effective_from: dt.datetime | None, now: dt.datetime
) -> _RevisionPlan:
    """The one selection G3 and its preview share: people required (Q5) at some
    instant from now until the version takes effect, on every active requirement
    linked to the document."""
    effective = effective_from or version.effective_from or now
    requirements = Requirement.objects.in_bulk(
        Requirement.objects.filter(document_id=version.document_id, active=True).values_list(
            "pk", flat=True
        )
    )
    rows = required_rows(requirement_ids=requirements, start=now, end=max(now, effective))
    existing = open_pairs(requirements)
    pairs = sorted(
        pair
        for pair in required_pairs(rows)
        # Idempotent: a pair already assigned this very version is done.
        if not (pair in existing and existing[pair].document_version_id == version.pk)
    )
    windows = [r.window_days for r in rows if r.window_days is not None]
    return _RevisionPlan(
        version=version,
        effective_from=effective,
        requirements=requirements,
        rows=rows,
        pairs=pairs,
        replaced={pair: existing[pair] for pair in pairs if pair in existing},
        shortest_window_days=min(windows) if windows else DEFAULT_WINDOW_DAYS,
        now=now,
    )


def _reason_text(version: DocumentVersion) -> str:
    return f"{version.document.number} revised to rev {version.revision}"


def impact_preview(
    version: DocumentVersion, *, effective_from: dt.datetime | None = None
) -> ImpactPreview:
    """G3 before approval: how many people, in which job functions and sites, will be
    assigned, due when; and whether the effective date needs a QA window exception."""
    plan = _revision_plan(version, effective_from=effective_from, now=timezone.now())
    chosen = set(plan.pairs)
    people = {p for p, _ in chosen}
    by_function: dict[int, set[int]] = defaultdict(set)
    by_site: dict[int, set[int]] = defaultdict(set)
    for row in plan.rows:
        if (row.person_id, row.requirement_id) not in chosen:
            continue
        by_site[row.site_id].add(row.person_id)
        by_function[row.job_function_id or 0].add(row.person_id)
    functions = dict(JobFunction.objects.filter(pk__in=list(by_function)).values_list("pk", "code"))
    sites = dict(Site.objects.filter(pk__in=list(by_site)).values_list("pk", "code"))
    return ImpactPreview(
        version_id=version.pk,
        document=version.document.number,
        revision=version.revision,
        effective_from=plan.effective_from,
        due_at=plan.effective_from,
        requirements=sorted(r.code for r in plan.requirements.values()),
        people=len(people),
        assignments=len(chosen),
        superseded=len(plan.replaced),
        by_job_function={
            functions.get(pk, "individual assignment"): len(ids)
            for pk, ids in sorted(by_function.items())
        },
        by_site={sites[pk]: len(ids) for pk, ids in sorted(by_site.items())},
        shortest_window_days=plan.shortest_window_days,
        earliest_allowed=plan.earliest_allowed,
        window_exception_needed=plan.exception_needed,
    )


def on_version_approved(
    *, actor: Any, version: DocumentVersion, window_exception_reason: str = "", **_: Any
) -> list[Assignment]:
    """G3: fan out retraining for a retraining-required version, due at its effective
    date; open older assignments for the same person and requirement are superseded
    and point to their successor. A ValidationError rolls the approval back."""
    if not version.retraining_required:
        return []
    with cycle_collection_paused():  # P130: thousands of rows and events, no cycles
        return _fan_out(actor, version, window_exception_reason)


def _fan_out(actor: Any, version: DocumentVersion, exception_reason: str) -> list[Assignment]:
    now = timezone.now()
    plan = _revision_plan(version, effective_from=None, now=now)
    exception = (exception_reason or "").strip()
    if plan.exception_needed and not exception:
        raise ValidationError(
            {
                "effective_from": (
                    f"{version} would take effect {plan.effective_from:%Y-%m-%d %H:%M %Z}, before "
                    f"the end of the shortest training window ({plan.shortest_window_days} days, "
                    f"{plan.earliest_allowed:%Y-%m-%d %H:%M %Z}); {len(plan.pairs)} assignments "
                    "could not be completed in time. Choose a later date or record a QA "
                    "window exception."
                )
            }
        )
    if not plan.pairs:
        return []
    olds = [plan.replaced[pair] for pair in plan.pairs if pair in plan.replaced]
    befores = close_superseded(olds, now=now)
    text = _reason_text(version)
    source = source_of(version)
    detail = {"document_version": version.pk}
    if plan.exception_needed:
        detail["window_exception_reason"] = exception
    created = create_assignments(
        (
            NewAssignment(
                person_id=person_id,
                requirement_id=req_id,
                due_at=plan.effective_from,
                reason=AssignmentReason.REVISION,
                source=source,
                reason_text=text,
                document_version_id=version.pk,
            )
            for person_id, req_id in plan.pairs
        ),
        actor=actor,
        now=now,
        detail=detail,
    )
    successors = {(a.person_id, a.requirement_id): a for a in created}
    link_superseded(olds, befores, successors, actor=actor, reason=f"Superseded: {text}")
    queue_losses_on_revision(version, successors, actor=actor, known_at=now, reason_text=text)
    return created


def queue_losses_on_revision(
    version: DocumentVersion,
    assigned: dict[tuple[int, int], Assignment],
    *,
    actor: Any,
    known_at: dt.datetime,
    reason_text: str,
) -> None:
    """Who of the people just assigned loses a qualification (`lost_on_revision`) is
    asked after the commit, by the task `training.tasks.losses_on_revision`, as known
    at the approval (`known_at`). Issue 18: for 50,000 people the engine's answer was
    two fifths of the approval, all of it holding the audit trail's lock, which every
    other GxP write of the plant waits for; the losses are told after the commit
    anyway (notices, webhooks). The pairs go as columns of ids (`qualify.ids`)."""
    if not assigned:
        return
    from qualify.training.tasks import losses_on_revision

    pairs = sorted(assigned)
    arguments = {
        "version": version.pk,
        "actor": getattr(actor, "pk", None),
        "known_at": known_at.isoformat(),
        "effective": version.effective_from.isoformat(),
        "reason_text": reason_text,
        "people": ids_text([p for p, _ in pairs]),
        "requirements": ids_text([r for _, r in pairs]),
        "assignments": ids_text([assigned[pair].pk for pair in pairs]),
    }
    transaction.on_commit(partial(losses_on_revision.enqueue, **arguments), robust=True)


def tell_losses_on_revision(
    version: DocumentVersion,
    assigned: dict[tuple[int, int], int],
    *,
    actor: Any,
    effective: dt.datetime,
    known_at: dt.datetime,
    reason_text: str,
) -> int:
    """The losses of `queue_losses_on_revision`'s pairs, fired as
    `training.events.qualification_lost` in a transaction of their own (the notices
    and webhooks it makes commit together); how many."""
    losses = lost_on_revision(
        version, assigned, reason_text=reason_text, effective=effective, as_known_at=known_at
    )
    if losses:
        with transaction.atomic():
            events.qualification_lost.fire(actor=actor, losses=losses)
    return len(losses)


def lost_on_revision(
    version: DocumentVersion,
    assigned: dict[tuple[int, int], int],
    *,
    reason_text: str = "",
    effective: dt.datetime | None = None,
    as_known_at: dt.datetime | None = None,
) -> list[events.LostQualification]:
    """Q4 after G3: of the people assigned the version (pair -> assignment id), those
    qualified on a requirement an instant before it takes effect (`effective`, by
    default its effective date now) and not at that instant (trained on the old
    baseline only) lose the qualification then, as known at `as_known_at`.

    Set-based: the engine answers every assigned (person, requirement) pair from one
    load of the facts per batch of its maximum (no Person instances,
    `engine.lost_between`); the losses come by person, then requirement code."""
    if not assigned:
        return []
    effective = effective or version.effective_from
    just_before = effective - dt.timedelta(microseconds=1)
    codes = dict(
        Requirement.objects.filter(pk__in=sorted({r for _, r in assigned})).values_list(
            "pk", "code"
        )
    )
    pairs = sorted(assigned, key=lambda pair: (pair[0], codes[pair[1]]))
    lost = engine.lost_between(pairs, just_before, effective, as_known_at=as_known_at)
    return [
        events.LostQualification(
            person_id=person_id,
            requirement_id=requirement_id,
            lost_at=effective,
            cause=events.REVISION,
            source=source_of(version),
            assignment_id=assigned[(person_id, requirement_id)],
            reason_text=reason_text,
        )
        for (person_id, requirement_id), gone in zip(pairs, lost, strict=True)
        if gone
    ]
