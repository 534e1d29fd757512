"""`qualify scheduler`: run the due daily jobs once, synchronously, and say what they
did. Meant for cron (daily); running it twice creates nothing new.

    qualify scheduler            # run now, in this process
    qualify scheduler --enqueue  # queue them for `qualify worker` instead

Last, it signs an audit checkpoint (A3), so that a daily signed statement of the
trail's size and root bounds any later tampering. Besides the training jobs it sends
the quality reminders (digests, lost
qualifications) when the quality app is installed. Training sits below quality and
never imports it (P2), so the reminders are reached by name: the `reminders`
command, or the `send_reminders` task for the worker.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.module_loading import import_string

from qualify.audit.checkpoints import checkpoint_create
from qualify.audit.context import audit_context
from qualify.audit.tasks import sign_checkpoint
from qualify.training import scheduler, tasks

REMINDERS_TASK = "qualify.quality.tasks.send_reminders"
# Issue 18: with several servers each running cron, one run at a time does the daily
# jobs; the others see the lock held and do nothing (a later run finds nothing due).
DAILY_LOCK_KEY = 0x5155414C49465903


@contextmanager
def daily_lock() -> Iterator[bool]:
    """True when this process may run the daily jobs. On PostgreSQL a session advisory
    lock held for the run; on SQLite (one machine) always true."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [DAILY_LOCK_KEY])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [DAILY_LOCK_KEY])


class Command(BaseCommand):
    help = (
        "Run the daily jobs once: G4 recurrence, G6 clean-ups, the reminders, "
        "then sign an audit checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the jobs for the worker instead of running them here.",
        )

    def handle(self, *args, **options):
        with daily_lock() as mine:
            if not mine:
                self.stdout.write("the daily jobs are running on another server; nothing done")
                return
            self._run(**options)

    def _run(self, **options):
        from qualify.audit.system import record_settings

        with audit_context(source="cli"):
            record_settings()  # a changed security setting is recorded at start
        reminders = apps.is_installed("qualify.quality")
        if options["enqueue"]:
            result = tasks.daily_training_jobs.enqueue()
            self.stdout.write(f"queued {tasks.daily_training_jobs.name} as {result.id}")
            if reminders:
                task = import_string(REMINDERS_TASK)
                self.stdout.write(f"queued {task.name} as {task.enqueue().id}")
            self.stdout.write(f"queued {sign_checkpoint.name} as {sign_checkpoint.enqueue().id}")
            return
        for name, counts in scheduler.run_daily(source="cli").items():
            summary = ", ".join(
                f"{key.replace('_', ' ')}: {value}" for key, value in counts.items()
            )
            self.stdout.write(f"{name}: {summary}")
        if reminders:
            # After the training jobs, so new recurrence assignments are in the digests.
            # (The console mail backend prints the mails themselves as they are sent.)
            out = StringIO()
            call_command("reminders", stdout=out, stderr=self.stderr)
            self.stdout.write(f"quality.reminders: {out.getvalue().strip()}")
        with audit_context(source="cli"):
            checkpoint = checkpoint_create(actor=None)
        self.stdout.write(f"audit.checkpoint: signed at tree size {checkpoint.tree_size}")
