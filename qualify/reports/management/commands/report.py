"""`qualify report NAME [--format pdf|xlsx|csv] [--at] [--as-known-at] [filters] --out FILE`

    qualify report --list
    qualify report qualified --person E0042 --document SOP-014 --at 2026-03-01T14:00Z --out q.pdf
    qualify report employee-file --person jdoe --format xlsx --out jdoe.xlsx
    qualify report performances --document SOP-014 --from 2026-01-01T00:00Z --format csv --out -

Parameters are the report's own (`qualify report --list` names them). Instants are
ISO 8601 with a UTC offset. Without --user the report reads as the system, with no
client restriction; with --user it reads as that user may (U2). The export is an
audit event with its parameters and the file's SHA-256, like on the pages and the API.
Exit status: 0 written, 2 bad input.
"""

import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from qualify.reports import registry, services
from qualify.reports.params import BadParameters
from qualify.reports.render import FORMATS


class Command(BaseCommand):
    help = "Export an inspection report as PDF, XLSX or CSV (qualify report --list)."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="The report's name.")
        parser.add_argument("--list", action="store_true", help="Name the reports.")
        parser.add_argument("--format", choices=sorted(FORMATS), default="pdf")
        parser.add_argument("--out", help="The file to write; '-' for standard output.")
        parser.add_argument("--user", help="Run as this user id (their client restriction).")
        names = sorted({p.name for r in registry.all_reports() for p in r.params})
        for name in names:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=f"param_{name}")

    def handle(self, *args, **options):
        if options["list"]:
            for report in registry.all_reports():
                params = " ".join(
                    f"--{p.name.replace('_', '-')}" + ("" if p.required else "?")
                    for p in report.params
                )
                self.stdout.write(f"{report.name:<18} {report.title}  ({params})")
            return
        name = options["name"]
        if not name:
            raise CommandError("Name a report, or --list to see them.", returncode=2)
        if not options["out"]:
            raise CommandError("Give --out FILE (or --out - for standard output).", returncode=2)
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.", returncode=2)
        raw = {k[6:]: v for k, v in options.items() if k.startswith("param_") and v}
        try:
            request = services.report_request(name, raw, user=user)
        except services.UnknownReport:
            raise CommandError(
                f"No report named {name!r}; `qualify report --list` names them.", returncode=2
            ) from None
        except BadParameters as exc:
            raise CommandError(str(exc), returncode=2) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=2) from None
        fmt = options["format"]
        if options["out"] == "-":
            produced = services.report_export(
                actor=user, request=request, fmt=fmt, sink=sys.stdout.buffer
            )
        else:
            with open(options["out"], "wb") as sink:
                produced = services.report_export(actor=user, request=request, fmt=fmt, sink=sink)
        self.stderr.write(
            f"{request.report.name}: {produced.rows} rows, {produced.size} bytes, "
            f"SHA-256 {produced.sha256}"
        )
