"""`qualify import legacy KIND FILE [--dry-run] [--all-or-nothing] --as USER`, and
`qualify import legacy verify REPORT_ID --as QA_USER` (asks for the password) and
`qualify import legacy report REPORT_ID` (writes the report's CSV and PDF)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from qualify.api.legacy import common, report
from qualify.edge import whole_number
from qualify.progress import Bar, stream_of

KINDS = ("people", "documents", "matrix", "training")


def _importer(kind: str):
    if kind == "training":
        from qualify.api.legacy.training import import_training

        return import_training
    if kind == "people":
        from qualify.api.legacy.people import import_people_history

        return import_people_history
    if kind == "matrix":
        from qualify.api.legacy.matrix import import_matrix

        return import_matrix
    from qualify.api.legacy.documents import import_documents

    return import_documents


def _write_files(command, found, directory: str) -> None:
    folder = Path(directory or ".")
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"migration-{found.pk}.csv"
    pdf_path = folder / f"migration-{found.pk}.pdf"
    csv_path.write_text(report.report_csv(found), encoding="utf-8")
    pdf_path.write_bytes(report.report_pdf(found))
    command.stdout.write(f"Report written to {csv_path} and {pdf_path}.")


def run(command, actor, options) -> None:
    kind, target = options["file"], options["legacy_file"]
    if kind in ("verify", "report"):
        from qualify.training.models import LegacyImport

        found = LegacyImport.objects.filter(pk=whole_number(target)).first()
        if found is None:
            raise CommandError(f"No migration report {target!r}.")
        if kind == "verify":
            from qualify.signatures.services import Credentials

            password = os.environ.get("QUALIFY_SIGN_PASSWORD") or getpass.getpass(
                f"Password of {actor.username} to sign report {found.pk} as verified: "
            )
            try:
                common.report_verify(
                    actor=actor,
                    report=found,
                    credentials=Credentials(username=actor.username, password=password),
                    comment=options["reason"],
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
            command.stdout.write(f"Migration report {found.pk} verified and signed.")
        _write_files(command, found, options["report_dir"])
        return
    if kind not in KINDS:
        raise CommandError(f"Unknown kind {kind!r}: one of {', '.join(KINDS)}, verify, report.")
    if not target:
        raise CommandError("Name the file to import.")
    extra = {}
    if kind == "documents":
        extra["files"] = options["files"]
    if kind == "matrix":
        extra["qa_username"] = options["qa"]
    with Bar(f"import {kind}", stream=stream_of(command)) as bar:

        def progress(message: str, *, done: int | None = None, total: int | None = None):
            command.stdout.write(message)
            if done is not None:
                bar.follow(message.split()[0], done, total)  # "checked", then "wrote"

        outcome = _importer(kind)(
            actor=actor,
            path=target,
            source_system=options["source"],
            dry_run=options["dry_run"],
            all_or_nothing=options["all_or_nothing"],
            progress=progress,
            encoding=options["encoding"],
            **extra,
        )
    for line in outcome.lines():
        command.stderr.write(line)
    command.stdout.write(outcome.summary())
    if outcome.report is not None:
        command.stdout.write(
            f"Migration report {outcome.report.pk} stored; QA verifies it with "
            f"`qualify import legacy verify {outcome.report.pk} --as <qa user>`."
        )
        _write_files(command, outcome.report, options["report_dir"])
    if outcome.problem:
        raise CommandError(outcome.problem)
    if outcome.refusals and (outcome.all_or_nothing or outcome.dry_run):
        raise CommandError(f"{outcome.refused} row(s) refused.")
