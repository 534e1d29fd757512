"""G4: recurring requirements are assigned again before the training expires."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from qualify.training import engine
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    Evidence,
    Requirement,
    TrainingRecord,
)
from qualify.training.services.assignments import NewAssignment, chunks, create_assignments
from qualify.training.services.rules.required import required_pairs, required_rows

# --- G4: recurrence -----------------------------------------------------------------------


def counts(record_values: dict) -> bool:
    """A record that can satisfy a requirement: not a failed assessment."""
    if record_values["evidence"] != Evidence.ASSESSMENT:
        return True
    score, mark = record_values["score"], record_values["pass_mark"]
    return score is not None and mark is not None and score >= mark


def lead_days() -> int:
    return int(getattr(settings, "QUALIFY_RECURRENCE_LEAD_DAYS", 30))


def run_recurrence(*, actor: Any = None, now: dt.datetime | None = None) -> list[Assignment]:
    """G4: for each required person's latest counting record of a recurring requirement
    that expires within the lead time, an assignment due at the expiry. The record is
    the assignment's source, so a second run (or a cancelled one) creates nothing."""
    now = now or timezone.now()
    lead = dt.timedelta(days=lead_days())
    recurring = dict(
        Requirement.objects.filter(recurrence_months__isnull=False, active=True).values_list(
            "pk", "recurrence_months"
        )
    )
    if not recurring:
        return []
    latest: dict[tuple[int, int], dict] = {}
    records = (
        TrainingRecord.objects.filter(
            requirement_id__in=list(recurring), superseded_by__isnull=True, person__active=True
        )
        .order_by("completed_at", "pk")
        .values(
            "pk", "person_id", "requirement_id", "completed_at", "evidence", "score", "pass_mark"
        )
    )
    for values in records.iterator(chunk_size=2000):
        if counts(values):
            latest[(values["person_id"], values["requirement_id"])] = values
    due: dict[tuple[int, int], tuple[dt.datetime, str]] = {}
    for pair, values in latest.items():
        expiry = engine.add_months(values["completed_at"], recurring[pair[1]])
        if expiry - lead <= now:
            due[pair] = (expiry, f"training.trainingrecord:{values['pk']}")
    if not due:
        return []
    required = required_pairs(
        required_rows(
            requirement_ids={r for _, r in due}, start=now, person_ids={p for p, _ in due}
        )
    )
    done = set()
    for part in chunks(sorted({source for _, source in due.values()})):
        done |= set(
            Assignment.objects.filter(
                source__in=part, reason=AssignmentReason.RECURRENCE
            ).values_list("person_id", "requirement_id", "source")
        )
    codes = dict(Requirement.objects.filter(pk__in=list(recurring)).values_list("pk", "code"))
    return create_assignments(
        (
            NewAssignment(
                person_id=p,
                requirement_id=r,
                due_at=expiry,
                reason=AssignmentReason.RECURRENCE,
                source=source,
                reason_text=f"{codes[r]} expires {expiry:%Y-%m-%d}",
            )
            for (p, r), (expiry, source) in sorted(due.items())
            if (p, r) in required and (p, r, source) not in done
        ),
        actor=actor,
        now=now,
    )
