"""`qualify worker`: run queued background tasks continuously (django-tasks-db's
db_worker: workers on many machines share the database queue).

Beside the queue, a thread signs an audit checkpoint every
QUALIFY_CHECKPOINT_INTERVAL_SECONDS (default 300) when events arrived, so no cron job is
needed for it (A6); workers on several machines share that work. `--batch` signs one,
when due, after the outstanding tasks. A trail that does not verify is never signed.

P22: the database going away does not end the worker. A lost connection (an
OperationalError or InterfaceError out of the queue loop) closes the connections and
the loop starts again after 1 s, 2 s, 4 s... up to a minute, for as long as it takes
(`--batch`: up to BATCH_RETRIES times, then it exits with an error). Every
SWEEP_SECONDS (and once before a batch) the sweeps in SWEEPS queue again what a
worker that died left unfinished, e.g. webhook deliveries
(qualify.api.webhooks.sweep); the background threads outlive an outage the same way.
"""

import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.utils.module_loading import import_string

from qualify.audit import checkpoints

# Named, not imported: the sweeps belong to higher layers (the API's webhooks).
SWEEPS = ["qualify.api.webhooks.sweep.requeue_stale"]
SWEEP_SECONDS = 60.0
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0
BATCH_RETRIES = 5
LOST_CONNECTION = (OperationalError, InterfaceError)


def sleep(seconds: float) -> None:  # replaced in tests
    time.sleep(seconds)


def run_sweeps() -> int:
    """Run every sweep once; the number of tasks they queued again."""
    return sum(import_string(path)() for path in SWEEPS)


def resilient(work: Callable[[], None], stop: threading.Event, name: str) -> None:
    """Run `work` (a loop of its own) in a background thread until `stop`; a database
    error closes this thread's connections and starts it again after a pause."""
    delay = RETRY_FIRST_SECONDS
    while not stop.is_set():
        try:
            work()
            return
        except DatabaseError:
            connections.close_all()
            stop.wait(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


def sweep_periodically(every: float, stop: threading.Event) -> None:
    while not stop.is_set():
        run_sweeps()
        connections.close_all()
        stop.wait(every)


class Command(BaseCommand):
    help = "Run the background task worker (all queues unless --queue-name is given)."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="*", help="Queues to process, comma-separated.")
        parser.add_argument(
            "--batch", action="store_true", help="Process the outstanding tasks, then exit."
        )
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--interval", type=float, default=1)
        parser.add_argument(
            "--checkpoint-interval",
            type=float,
            default=None,
            help="Seconds between audit checkpoints (default: the setting; 0: none).",
        )

    def handle(self, *args, **options):
        every = options["checkpoint_interval"]
        if every is None:
            every = settings.QUALIFY_CHECKPOINT_INTERVAL_SECONDS
        stop = threading.Event()
        if not options["batch"]:
            background = [("webhook-sweep", lambda: sweep_periodically(SWEEP_SECONDS, stop))]
            if every > 0:
                background.append(
                    ("audit-checkpoints", lambda: checkpoints.sign_periodically(every, stop))
                )
            for name, work in background:
                threading.Thread(
                    target=resilient, args=(work, stop, name), name=name, daemon=True
                ).start()
        else:
            queued = self._retrying(run_sweeps, options)
            if queued:
                self.stdout.write(f"sweep: {queued} unfinished task(s) queued again")
        try:
            self._retrying(lambda: self._run_queue(options), options)
        finally:
            stop.set()
        if every > 0 and options["batch"]:
            created, _ = checkpoints.sign_if_due(every)
            if created is not None:
                self.stdout.write(f"audit.checkpoint: signed at tree size {created.tree_size}")

    def _retrying(self, work: Callable[[], object], options) -> object:
        """`work`, started again with backoff while the database is unreachable."""
        delay, failures = RETRY_FIRST_SECONDS, 0
        while True:
            started = time.monotonic()
            try:
                return work()
            except LOST_CONNECTION as exc:
                if time.monotonic() - started > RETRY_MAX_SECONDS:
                    delay, failures = RETRY_FIRST_SECONDS, 0  # a new outage
                failures += 1
                if options["batch"] and failures > BATCH_RETRIES:
                    raise CommandError(
                        f"The database is still unreachable after {BATCH_RETRIES} retries: {exc}"
                    ) from exc
                why = str(exc).strip() or type(exc).__name__
                self.stderr.write(
                    f"worker: the database is unreachable ({why}); trying again in {delay:g} s"
                )
                connections.close_all()
                sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    def _run_queue(self, options) -> None:
        extra = {"max_tasks": options["max_tasks"]} if options["max_tasks"] else {}
        call_command(
            "db_worker",
            queue_name=options["queue_name"],
            batch=options["batch"],
            interval=options["interval"],
            verbosity=options["verbosity"],
            **extra,
        )
