"""`qualify worker`: run queued background tasks continuously (django-tasks-db's
db_worker: workers on many machines share the database queue)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background task worker (all queues unless --queue-name is given)."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="*", help="Queues to process, comma-separated.")
        parser.add_argument(
            "--batch", action="store_true", help="Process the outstanding tasks, then exit."
        )
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--interval", type=float, default=1)

    def handle(self, *args, **options):
        extra = {"max_tasks": options["max_tasks"]} if options["max_tasks"] else {}
        call_command(
            "db_worker",
            queue_name=options["queue_name"],
            batch=options["batch"],
            interval=options["interval"],
            verbosity=options["verbosity"],
            **extra,
        )
