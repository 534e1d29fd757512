"""Run PQ scenarios on the database this process is configured with and write their
results as JSON. Called by `qualify validate` in a child process whose database is a
scratch copy of the demo plant; not meant for the installation's own database."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qualify.validation import pack, pq


class Command(BaseCommand):
    help = "Run PQ scenarios (YAML) here and write their results (used by qualify validate)."

    def add_arguments(self, parser):
        parser.add_argument("--scenarios", action="append", required=True, metavar="FILE")
        parser.add_argument("--json", required=True, metavar="FILE")

    def handle(self, *args, **options):
        try:
            scenarios = pq.load_scenarios([Path(p) for p in options["scenarios"]])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        results = pq.run_scenarios(scenarios)
        Path(options["json"]).write_text(
            json.dumps(pack._plain(results), indent=1), encoding="utf-8"
        )
        failed = [r.id for r in results if not r.ok]
        self.stdout.write(f"{len(results)} scenarios, {len(failed)} failed {' '.join(failed)}")
