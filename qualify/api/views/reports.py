"""Inspection reports on the API (issue 13): the list, each report by name
(GET /api/v1/reports/{name}?format=json|pdf|xlsx|csv&…), a background export
(POST, answered 202 with where to follow it), its status and its file. Thin: the
parameters are parsed and the file written by qualify.reports.services, the same
calls the pages and `qualify report` make."""

import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from qualify import replica
from qualify.api.base import ApiView
from qualify.api.fields import ObjectJSONParser
from qualify.reports import queries, services
from qualify.reports.models import ExportStatus
from qualify.reports.params import BadParameters
from qualify.reports.render import FORMATS, cells, filename


def _describe(report) -> dict:
    return {
        "name": report.name,
        "title": report.title,
        "question": report.question,
        "parameters": [
            {"name": p.name, "label": p.label, "required": p.required, "help": p.help}
            for p in report.params
        ],
        "columns": report.export_columns(),
    }


class ReportsView(ApiView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="The reports you may run")
    def get(self, request):
        return Response({"results": [_describe(r) for r in queries.reports_for(request.user)]})


def _export_out(request, export) -> dict:
    out = {
        "id": export.pk,
        "report": export.report,
        "format": export.format,
        "parameters": export.parameters,
        "status": export.status,
        "rows_done": export.rows_done,
        "percent": export.percent,
        "error": export.error,
        "sha256": export.sha256,
    }
    if export.status == ExportStatus.DONE:
        out["file"] = request.build_absolute_uri(
            reverse("api:report-export-file", args=[export.pk])
        )
    return out


class ReportView(ApiView):
    """One report, named by the URL (each report has its own URL and access rule)."""

    report_name = ""
    # A background export takes its parameters as a JSON object only: a form or multipart
    # body that parses to nothing would start an export with every default, unasked.
    parser_classes = [ObjectJSONParser]

    def _request(self, request, data):
        try:
            return services.report_request(self.report_name, data, user=request.user)
        except BadParameters as exc:
            raise ValidationError(exc.errors) from None
        except PermissionDenied as exc:
            raise Http404(str(exc)) from None

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["json", *FORMATS], description="Default json."),
            OpenApiParameter("person", str, required=False),
            OpenApiParameter("document", str, required=False),
            OpenApiParameter("revision", str, required=False),
            OpenApiParameter("at", str, required=False, description="ISO 8601 with offset."),
            OpenApiParameter("as_known_at", str, required=False),
            OpenApiParameter("from", str, required=False),
            OpenApiParameter("to", str, required=False),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Run a report: JSON, or a PDF, XLSX or CSV file",
    )
    def get(self, request):
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", *FORMATS):
            raise ValidationError({"format": "Choose json, pdf, xlsx or csv."})
        run = self._request(request, request.query_params)
        if fmt == "json":
            return Response(self._json(run))
        spool = tempfile.SpooledTemporaryFile(max_size=2**24)  # noqa: SIM115 (FileResponse closes it)
        produced = services.report_export(actor=request.user, request=run, fmt=fmt, sink=spool)
        spool.seek(0)
        response = FileResponse(
            spool,
            as_attachment=True,
            filename=filename(run, fmt),
            content_type=FORMATS[fmt][0],
        )
        response["X-Content-SHA256"] = produced.sha256
        return response

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={202: OpenApiTypes.OBJECT},
        summary="Start a large export in the background",
    )
    def post(self, request):
        fmt = str(request.data.get("format", "pdf"))
        if fmt not in FORMATS:
            raise ValidationError({"format": "Choose pdf, xlsx or csv."})
        run = self._request(request, request.data)
        export = services.export_start(actor=request.user, request=run, fmt=fmt)
        return Response(_export_out(request, export), status=status.HTTP_202_ACCEPTED)

    def _json(self, run) -> dict:
        from qualify.reports.evidence import Citations, build_header

        header = build_header(run)
        citations = Citations(header.checkpoint)
        names = run.report.export_columns()
        with replica.report_reads():  # P140: the rows may come from a read replica
            rows = [
                dict(zip(names, cells(run, row), strict=True))
                for row in citations.annotate(run.report.rows(run))
            ]
        return {
            "header": dict(header.pairs()),
            "summary": dict(run.report.summary(run)),
            "columns": names,
            "rows": rows,
            "proofs": [
                {"event": seq, "leaf_hash": leaf, "audit_path": path}
                for seq, leaf, path in citations.proofs()
            ],
        }


class ReportExportView(ApiView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="A background export's progress")
    def get(self, request, pk: int):
        export = queries.exports(request.user).filter(pk=pk).first()
        if export is None:
            raise Http404("No such export of yours.")
        return Response(_export_out(request, export))


class ReportExportFileView(ApiView):
    @extend_schema(responses={200: OpenApiTypes.BINARY}, summary="A finished export's file")
    def get(self, request, pk: int):
        export = queries.exports(request.user).filter(pk=pk, status=ExportStatus.DONE).first()
        if export is None or not export.file:
            raise Http404("No finished export of yours has this number.")
        return FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=export.filename,
            content_type=FORMATS[export.format][0],
        )


def report_urls():
    """One URL per report, each with the access rule declared for its name."""
    from django.urls import path

    from qualify.reports import registry

    return [
        path(
            f"reports/{report.name}/",
            type(
                f"{report.name.title().replace('-', '')}ReportView",
                (ReportView,),
                {"report_name": report.name, "__doc__": report.question},
            ).as_view(),
            name=f"report-{report.name}",
        )
        for report in registry.all_reports()
    ]
