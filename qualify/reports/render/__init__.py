"""Rendering a report run into a file: PDF, XLSX or CSV, from the same rows.

`produce()` is the one pipeline every interface calls: build the header (with the
checkpoint), stream the report's rows through the citations, write them with the
format's writer into a binary sink, and return what the audit event needs. Rows are
consumed one at a time, so CSV and XLSX use flat memory whatever the report's size.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from qualify import replica
from qualify.reports.evidence import Citations, Header, build_header, iso_utc, local
from qualify.reports.registry import ZONE, ReportRequest

FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


def text(value: Any) -> Any:
    """A cell value for any format: text, a number, or '' (never None)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(str(text(v)) for v in value)
    if isinstance(value, int | float):
        return value
    return str(value)


def cells(request: ReportRequest, row: dict[str, Any]) -> list[Any]:
    """A row's values in export column order (report.export_columns())."""
    zone = row.get(ZONE) or request.zone
    out: list[Any] = []
    for column in request.report.columns:
        value = row.get(column.name)
        if column.kind == "time":
            out += [iso_utc(value), local(value, zone)]
        else:
            out.append(text(value))
    out.append(row.get("audit_event", ""))
    return out


@dataclass
class Produced:
    rows: int
    sha256: str
    size: int
    header: Header


class _Hashing(io.RawIOBase):
    """A binary sink that hashes and counts what passes through."""

    def __init__(self, sink: BinaryIO) -> None:
        super().__init__()
        self.sink, self.digest, self.size = sink, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self.digest.update(data)
        self.size += len(data)
        self.sink.write(data)
        return len(data)

    def flush(self) -> None:
        if hasattr(self.sink, "flush"):
            self.sink.flush()


def produce(
    request: ReportRequest,
    fmt: str,
    sink: BinaryIO,
    *,
    progress: Callable[[int], None] | None = None,
) -> Produced:
    """Write the report in `fmt` into `sink`; the file's SHA-256 and row count."""
    from qualify.reports.render import pdf, tabular

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    header = build_header(request)
    citations = Citations(header.checkpoint)
    hashing = _Hashing(sink)
    writer = {"csv": tabular.write_csv, "xlsx": tabular.write_xlsx, "pdf": pdf.write_pdf}[fmt]
    with replica.report_reads():  # P140: the rows may come from a read replica
        counted = _count(citations.annotate(request.report.rows(request)), progress)
        rows = writer(request, header, counted, citations, hashing)
    return Produced(rows=rows, sha256=hashing.digest.hexdigest(), size=hashing.size, header=header)


def _count(rows, progress):
    for n, row in enumerate(rows, 1):
        yield row
        if progress is not None and n % 200 == 0:
            progress(n)


def filename(request: ReportRequest, fmt: str) -> str:
    stamp = request.generated_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"qualify-{request.report.name}-{stamp}.{FORMATS[fmt][1]}"
