"""The migration report as files QA keeps (R2): a CSV of every refused row and the
totals (through qualify.spreadsheet, so no cell can start a formula), and a PDF with
the same content and the signature manifestation (S1: name, time, meaning) once QA
has verified it. Times in UTC ISO 8601 (T3)."""

from __future__ import annotations

import datetime as dt
import io

from qualify import spreadsheet
from qualify.signatures.services import content_hash, signatures_of
from qualify.training.models import LegacyImport


def _utc(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else ""


def totals(report: LegacyImport) -> list[tuple[str, str]]:
    return [
        ("Migration report", str(report.pk)),
        ("Kind", report.get_kind_display()),
        ("Source system", report.source_system),
        ("File", report.file_name),
        ("File SHA-256", report.sha256),
        ("Encoding", report.encoding),
        ("Rows read", str(report.rows_read)),
        ("Created", str(report.created)),
        ("Already imported (skipped)", str(report.skipped)),
        ("Refused", str(report.refused)),
        ("Written", "yes" if report.applied else "no (nothing was written)"),
        ("All or nothing", "yes" if report.all_or_nothing else "no"),
        ("Run by", f"{report.run_by.printed_name} ({report.run_by.username})"),
        ("Started", _utc(report.started_at)),
        ("Finished", _utc(report.finished_at)),
    ]


def manifestations(report: LegacyImport) -> list[str]:
    """S1: each signature by name, time and meaning, and whether it still holds."""
    current = content_hash(report)
    return [
        f"{s.get_meaning_display()} by {s.printed_name} ({s.username}) at {_utc(s.signed_at)}"
        + ("" if s.content_hash == current else " - BROKEN: the report changed after signing")
        for s in signatures_of(report).order_by("signed_at", "pk")
    ]


def report_csv(report: LegacyImport) -> str:
    sink = io.StringIO()
    out = spreadsheet.writer(sink)
    for label, value in totals(report):
        out.writerow([label, value])
    for line in manifestations(report) or ["Not verified yet"]:
        out.writerow(["Signature", line])
    out.writerow([])
    out.writerow(["line", "reason refused"])
    for line, reason in report.refusals:
        out.writerow([line, reason])
    return sink.getvalue()


def report_pdf(report: LegacyImport) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"Migration report {report.pk}")
    story = [
        Paragraph(f"Migration report {report.pk}: {escape(report.file_name)}", styles["Title"]),
        Table(
            [
                [label, Paragraph(escape(value), styles["BodyText"])]
                for label, value in totals(report)
            ],
            colWidths=[150, 330],
        ),
        Spacer(1, 12),
        Paragraph("Signatures", styles["Heading2"]),
    ]
    for line in manifestations(report) or ["Not verified yet."]:
        story.append(Paragraph(escape(line), styles["BodyText"]))
    story += [Spacer(1, 12), Paragraph("Refused rows", styles["Heading2"])]
    if report.refusals:
        rows = [["Line", "Reason"]] + [
            [str(line), Paragraph(escape(reason), styles["BodyText"])]
            for line, reason in report.refusals
        ]
        table = Table(rows, colWidths=[50, 430], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
        story.append(table)
    else:
        story.append(Paragraph("None.", styles["BodyText"]))
    doc.build(story)
    return buffer.getvalue()
