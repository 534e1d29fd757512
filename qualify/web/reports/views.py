"""Reports: the list, each report's page (its parameters, the answer on screen and
download buttons for PDF, XLSX and CSV), and background exports with their progress
(htmx polling) and download link. Thin: parsing, the query and the files are
qualify.reports.services, the same calls as the API and `qualify report`."""

import tempfile

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from qualify import progress, replica
from qualify.reports import queries, registry, services
from qualify.reports.evidence import build_header
from qualify.reports.models import ExportStatus
from qualify.reports.params import BadParameters
from qualify.reports.render import FORMATS, cells, filename
from qualify.web.zones import zone_of

SHOWN = 500  # rows drawn on the page; the files hold them all


def index(request):
    return render(request, "web/reports/index.html", {"reports": queries.reports_for(request.user)})


def _form(report, data, zone):
    fields = {}
    for p in report.params:
        help_text = p.help
        if p.kind == "instant":
            help_text = f"{p.help} Local time ({zone}) as 2026-03-01T14:00, or with an offset."
        fields[p.name] = forms.CharField(
            label=p.label, required=p.required, max_length=200, help_text=help_text
        )
    return type("ReportForm", (forms.Form,), fields)(data)


def report_page(request, name: str):
    report = registry.get(name)
    if report is None:
        raise Http404("No such report.")
    zone = zone_of(request.user)
    data = request.POST if request.method == "POST" else request.GET
    asked = any(data.get(p.name) for p in report.params) or "run" in data
    form = _form(report, data if asked else None, zone)
    context = {"report": report, "form": form, "zone": zone, "formats": list(FORMATS)}
    if not asked or not form.is_valid():
        return render(request, "web/reports/report.html", context, status=400 if asked else 200)
    try:
        run = services.report_request(name, form.cleaned_data, user=request.user, zone=zone)
    except BadParameters as exc:
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return render(request, "web/reports/report.html", context, status=400)
    except PermissionDenied:
        raise Http404("No such report for you.") from None
    fmt = data.get("format", "")
    if request.method == "POST" or (fmt in FORMATS and report.estimate(run) > report.large):
        export = services.export_start(
            actor=request.user, request=run, fmt=fmt if fmt in FORMATS else "pdf"
        )
        return redirect("web:report_export", pk=export.pk)
    if fmt in FORMATS:
        spool = tempfile.SpooledTemporaryFile(max_size=2**24)  # noqa: SIM115 (FileResponse closes it)
        services.report_export(actor=request.user, request=run, fmt=fmt, sink=spool)
        spool.seek(0)
        return FileResponse(
            spool, as_attachment=True, filename=filename(run, fmt), content_type=FORMATS[fmt][0]
        )
    header = build_header(run)
    rows = []
    with replica.report_reads():  # P140: the rows may come from a read replica
        for n, row in enumerate(report.rows(run)):
            if n >= SHOWN:
                context["more"] = True
                break
            rows.append(cells(run, row))
    query = "&".join(f"{k}={v}" for k, v in form.cleaned_data.items() if v)
    context.update(
        run=run,
        header=header.pairs(),
        summary=report.summary(run),
        columns=report.export_columns(),
        rows=rows,
        query=query,
    )
    return render(request, "web/reports/report.html", context)


def export_status(request, pk: int):
    export = get_object_or_404(queries.exports(request.user), pk=pk)
    context = {
        "export": export,
        "report": registry.get(export.report),
        "done": export.status in (ExportStatus.DONE, ExportStatus.FAILED),
        "file_url": reverse("web:report_export_file", args=[export.pk]),
        "estimate": progress.estimate_for(
            export.started_at, timezone.now(), export.rows_done, export.rows_estimate
        ),
    }
    template = "web/reports/_export.html" if request.htmx else "web/reports/export.html"
    return render(request, template, context)


def export_file(request, pk: int):
    export = get_object_or_404(queries.exports(request.user), pk=pk, status=ExportStatus.DONE)
    if not export.file:
        raise Http404("The file is gone.")
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.filename,
        content_type=FORMATS[export.format][0],
    )
