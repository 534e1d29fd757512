"""`qualify import people FILE.csv [--dry-run] --as USERNAME`: the HR file, all or
nothing, with errors per row. Layout: docs/api.md."""

from django.core.management.base import BaseCommand, CommandError

from qualify.accounts.models import User
from qualify.api.csv_import import import_people
from qualify.audit.context import audit_context


class Command(BaseCommand):
    help = "Import people and job assignments from an HR CSV file (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["people", "legacy"])
        parser.add_argument(
            "file",
            help="people: the HR file. legacy: the KIND (people, documents, matrix, "
            "training), or verify / report.",
        )
        parser.add_argument(
            "legacy_file",
            nargs="?",
            default="",
            help="legacy: the file (CSV or XLSX), or "
            "the migration report's number for verify and report.",
        )
        parser.add_argument(
            "--all-or-nothing",
            action="store_true",
            help="legacy: write nothing if any row is refused.",
        )
        parser.add_argument("--source", default="", help="legacy: the source system's name.")
        parser.add_argument(
            "--encoding", default="", help="legacy: the CSV's encoding (default: recognised)."
        )
        parser.add_argument("--files", default="", help="legacy documents: a folder or ZIP.")
        parser.add_argument("--qa", default="", help="legacy matrix: the approving QA user.")
        parser.add_argument(
            "--report-dir", default=".", help="legacy: where the report's CSV and PDF go."
        )
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
        if options["what"] == "legacy":
            from qualify.api.legacy.command import run

            with audit_context(source="cli"):
                run(self, actor, options)
            return
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
