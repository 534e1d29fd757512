"""Audit verification from the inspector's page as a background task (P143).

`verification_start()` queues a run for the task worker (django-tasks, after commit);
`verification_execute()` is the task's body: it runs `verify_trail()` and writes its
progress to the run as it goes, so the page can show how far it is and the time left.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from qualify.audit.verification_runs import RunStatus, VerificationRun

VIEW_TRAIL = "audit.view_audit_trail"
PROBLEMS_KEPT = 20


def verification_start(*, actor: Any) -> VerificationRun:
    from qualify.audit.tasks import verify_in_background

    if not actor.has_perm(VIEW_TRAIL):
        raise PermissionDenied("Only an auditor or an administrator may verify the audit trail.")
    with transaction.atomic():
        run = VerificationRun.objects.create(requested_by=actor, requested_at=timezone.now())
        transaction.on_commit(lambda: verify_in_background.enqueue(run.pk))
    return run


def verification_execute(run_id: int) -> VerificationRun:
    from qualify.audit.verify import verify_trail

    run = VerificationRun.objects.get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return run  # a second delivery of the same task does nothing
    runs = VerificationRun.objects.filter(pk=run.pk)
    runs.update(status=RunStatus.RUNNING, started_at=timezone.now())

    def progress(stage: str, done: int, total: int) -> None:
        runs.update(stage=stage, done=done, total=total)

    try:
        report = verify_trail(progress=progress)
    except Exception as exc:  # said on the page; the cause is in the worker's log
        runs.update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"The verification could not be completed ({type(exc).__name__}); "
            "the administrator can find the cause in the worker's log.",
        )
        raise
    runs.update(
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        intact=report.ok,
        summary=report.summary(),
        problems=[{"seq": p.seq, "message": p.message} for p in report.problems[:PROBLEMS_KEPT]],
    )
    run.refresh_from_db()
    return run
