"""`qualify import people FILE.csv [--dry-run] --as USERNAME`: the HR file, all or
nothing, with errors per row. Layout: docs/api.md."""

from django.core.management.base import BaseCommand, CommandError

from qualify.accounts.models import User
from qualify.api.csv_import import import_people
from qualify.audit.context import audit_context


class Command(BaseCommand):
    help = "Import people and job assignments from an HR CSV file (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["people"])
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The user (a training coordinator, or a token's service account such as "
            "api-hr) the changes are made and audited as.",
        )
        parser.add_argument("--reason", default="", help="Reason recorded for changes.")

    def handle(self, *args, **options):
        actor = User.objects.filter(username=options["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {options['username']!r}.")
        with audit_context(source="cli"):
            result = import_people(
                actor=actor,
                path=options["file"],
                dry_run=options["dry_run"],
                reason=options["reason"],
            )
        for error in result.errors:
            self.stderr.write(error)
        if result.errors:
            raise CommandError(f"{len(result.errors)} error(s); nothing was imported.")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} {result.rows} row(s): {result.created} people created, "
            f"{result.updated} updated."
        )
