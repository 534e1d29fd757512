"""`qualify scheduler`: run the due training jobs once, synchronously, and say what
they did. Meant for cron (daily); running it twice creates nothing new.

    qualify scheduler            # run now, in this process
    qualify scheduler --enqueue  # queue them for `qualify worker` instead
"""

from django.core.management.base import BaseCommand

from qualify.training import scheduler, tasks


class Command(BaseCommand):
    help = "Run the daily training jobs (G4 recurrence, G6 clean-ups) once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the jobs for the worker instead of running them here.",
        )

    def handle(self, *args, **options):
        if options["enqueue"]:
            result = tasks.daily_training_jobs.enqueue()
            self.stdout.write(f"queued {tasks.daily_training_jobs.name} as {result.id}")
            return
        for name, counts in scheduler.run_daily(source="cli").items():
            summary = ", ".join(
                f"{key.replace('_', ' ')}: {value}" for key, value in counts.items()
            )
            self.stdout.write(f"{name}: {summary}")
