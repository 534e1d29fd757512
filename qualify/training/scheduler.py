"""The daily training jobs, run by `qualify scheduler` (cron) or a task worker.

Every job is idempotent: running it twice, or on two machines, creates nothing new
(G4 names the expiring record as the assignment's source; G6 only cancels what is
still open). Each returns counts so the command can say what it did.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from qualify.audit.context import audit_context
from qualify.documents.reminders import send_review_reminders
from qualify.training.services import rules


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: Callable[[dt.datetime], dict[str, int]]


def recurrence(now: dt.datetime) -> dict[str, int]:
    """G4: assignments due at the expiry of records expiring within the lead time."""
    with transaction.atomic():
        created = rules.run_recurrence(actor=None, now=now)
    return {"assignments_created": len(created)}


def cleanup(now: dt.datetime) -> dict[str, int]:
    """G6: cancel open assignments no rule requires any more."""
    with transaction.atomic():
        cancelled = rules.run_cleanup(actor=None, now=now)
    return {"assignments_cancelled": len(cancelled)}


DAILY_JOBS = [
    Job("training.recurrence", "Periodic retraining before records expire (G4)", recurrence),
    Job("training.cleanup", "Cancel assignments no longer required (G6)", cleanup),
    Job("documents.review_reminders", "Periodic document reviews due", send_review_reminders),
]


def register_daily(job: Job) -> None:
    """A higher layer (reports) adds its daily job from its AppConfig.ready(), since
    training never imports it (layers)."""
    if all(j.name != job.name for j in DAILY_JOBS):
        DAILY_JOBS.append(job)


def run_daily(*, now: dt.datetime | None = None, source: str = "cli") -> dict[str, dict[str, int]]:
    """Run every daily job once, each in its own transaction, under one audit context."""
    now = now or timezone.now()
    results = {}
    with audit_context(source=source):
        for job in DAILY_JOBS:
            results[job.name] = job.run(now)
    return results
