"""`qualify worker`: run queued background tasks continuously (django-tasks-db's
db_worker: workers on many machines share the database queue).

Beside the queue, a thread signs an audit checkpoint every
QUALIFY_CHECKPOINT_INTERVAL_SECONDS (default 300) when events arrived, so no cron job is
needed for it (A6); workers on several machines share that work. `--batch` signs one,
when due, after the outstanding tasks. A trail that does not verify is never signed.
"""

import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from qualify.audit import checkpoints


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
        if every > 0 and not options["batch"]:
            threading.Thread(
                target=checkpoints.sign_periodically,
                args=(every, stop),
                name="audit-checkpoints",
                daemon=True,
            ).start()
        try:
            self._run_queue(options)
        finally:
            stop.set()
        if every > 0 and options["batch"]:
            created, _ = checkpoints.sign_if_due(every)
            if created is not None:
                self.stdout.write(f"audit.checkpoint: signed at tree size {created.tree_size}")

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
