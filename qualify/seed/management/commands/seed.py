from django.core.management.base import BaseCommand, CommandError

from qualify.audit.context import audit_context
from qualify.progress import Bar, stream_of
from qualify.seed import plant


class Command(BaseCommand):
    help = "Load deterministic data: the demo plant or a scale data set."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["demo", "medium", "large"], default="demo")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database holds users"
        )
        parser.add_argument(
            "--people-per-function",
            type=int,
            default=None,
            help="demo only: at most this many staff per job function (a quick, smaller plant)",
        )

    def handle(self, *args, scale, seed, if_empty, people_per_function, **options):
        from qualify.accounts.models import User

        if User.objects.exists():
            if if_empty:
                self.stdout.write("Database already holds data; seed skipped.")
                return
            raise CommandError("The database already holds data; seed an empty database.")
        with audit_context(source="cli"), Bar(f"seed {scale}", stream=stream_of(self)) as bar:
            try:
                summary = plant.load(
                    scale=scale,
                    seed=seed,
                    people_per_function=people_per_function,
                    progress=bar.step,
                )
            except NotImplementedError as exc:
                raise CommandError(str(exc)) from exc
        for line in summary:
            self.stdout.write(line)
