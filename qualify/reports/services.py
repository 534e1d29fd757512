"""Running reports: one entry point for the pages, the API, the command and the worker.

- `report_request()` parses the parameters as the user may (their client restriction
  and reach: U2, P15) into a ReportRequest; BadParameters names what is wrong.
- `report_export()` writes one export into a sink and records the audit event
  `report.exported` with its parameters, the checkpoint and the file's SHA-256, in
  the same transaction as nothing else: the export is a read, its event is the record
  that it was handed over.
- `export_start()` queues a large export as a background task (ReportExport + the
  task in qualify.reports.tasks, after commit); `export_run()` is the task's body.

Hazards: the audit event is written only after the file is complete, so a failed
export leaves no claim of a file that was never handed over; a background failure is
audited as `report.export_failed` with the error in words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, BinaryIO

from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from qualify.accounts import policy
from qualify.audit.services import record
from qualify.reports import params, registry
from qualify.reports.models import ExportStatus, ReportExport
from qualify.reports.queries import rule_of
from qualify.reports.render import FORMATS, Produced, filename, produce


class UnknownReport(LookupError):
    pass


def report_request(
    name: str,
    raw: dict[str, Any],
    *,
    user: Any,
    zone: str | None = None,
    now: dt.datetime | None = None,
) -> registry.ReportRequest:
    """Parse and check a request; `zone` reads instants typed without an offset."""
    report = registry.get(name)
    if report is None:
        raise UnknownReport(name)
    rule = rule_of(name)
    if user is not None and policy.reach(user, rule) is None:
        raise PermissionDenied(f"Your roles do not give access to {rule.what}.")
    now = now or timezone.now()
    clean = {p.name: str(raw.get(p.name) or "").strip() for p in report.params}
    values = params.parse(report, clean, user=user, rule=rule, zone=zone, now=now)
    request = registry.ReportRequest(
        report=report, user=user, params=values, raw=clean, generated_at=now, zone=zone or "UTC"
    )
    report.prepare(request)
    return request


def _detail(request: registry.ReportRequest, fmt: str, produced: Produced, name: str) -> dict:
    checkpoint = produced.header.checkpoint
    return {
        "report": request.report.name,
        "format": fmt,
        "parameters": {k: v for k, v in request.raw.items() if v},
        "generated_at": request.generated_at,
        "sha256": produced.sha256,
        "size": produced.size,
        "rows": produced.rows,
        "filename": name,
        "checkpoint_tree_size": checkpoint.tree_size if checkpoint else None,
        "checkpoint_root": checkpoint.root_hash if checkpoint else None,
    }


def report_export(
    *, actor: Any, request: registry.ReportRequest, fmt: str, sink: BinaryIO, progress=None
) -> Produced:
    """Write the export into `sink`, then audit it (report.exported, with the SHA-256)."""
    if fmt not in FORMATS:
        raise ValueError(f"The format must be one of {', '.join(FORMATS)}.")
    produced = produce(request, fmt, sink, progress=progress)
    with transaction.atomic():
        record(
            "report.exported",
            actor=actor,
            object_type="reports.report",
            object_id=request.report.name,
            detail=_detail(request, fmt, produced, filename(request, fmt)),
        )
    return produced


def export_start(*, actor: Any, request: registry.ReportRequest, fmt: str) -> ReportExport:
    """Queue an export as a background task; the page follows its progress."""
    from qualify.reports.tasks import run_export

    if fmt not in FORMATS:
        raise ValueError(f"The format must be one of {', '.join(FORMATS)}.")
    with transaction.atomic():
        export = ReportExport.objects.create(
            report=request.report.name,
            format=fmt,
            parameters=request.raw,
            zone=request.zone,
            requested_by=actor,
            requested_at=timezone.now(),
            rows_estimate=request.report.estimate(request),
        )
        transaction.on_commit(lambda: run_export.enqueue(export.pk))
    return export


def export_run(export_id: int) -> ReportExport:
    """The task: parse again as the requesting user, write the file, audit it."""
    import tempfile

    export = ReportExport.objects.select_related("requested_by").get(pk=export_id)
    if export.status != ExportStatus.QUEUED:
        return export
    ReportExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    user = export.requested_by

    def progress(n: int) -> None:
        ReportExport.objects.filter(pk=export.pk).update(rows_done=n)

    try:
        request = report_request(
            export.report, export.parameters, user=user, zone=export.zone or None
        )
        with tempfile.TemporaryFile() as spool:
            produced = report_export(
                actor=user, request=request, fmt=export.format, sink=spool, progress=progress
            )
            spool.seek(0)
            name = filename(request, export.format)
            export.file.save(name, File(spool, name=name), save=False)
        export.filename = name
        export.sha256, export.size = produced.sha256, produced.size
        export.rows_done = produced.rows
        export.status = ExportStatus.DONE
    except Exception as exc:
        export.status = ExportStatus.FAILED
        export.error = _in_words(exc)
        with transaction.atomic():
            record(
                "report.export_failed",
                actor=user,
                object_type="reports.report",
                object_id=export.report,
                detail={"export": export.pk, "format": export.format, "why": export.error},
            )
    export.finished_at = timezone.now()
    export.save(
        update_fields=[
            "file",
            "filename",
            "sha256",
            "size",
            "rows_done",
            "status",
            "error",
            "finished_at",
        ]
    )
    return export


def _in_words(exc: Exception) -> str:
    if isinstance(exc, params.BadParameters):
        return "The parameters are no longer valid: " + str(exc)
    if isinstance(exc, PermissionDenied):
        return str(exc)
    return "The export could not be completed; the administrator can find the cause in the log."
