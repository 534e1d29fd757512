"""CSV and XLSX: one row per fact, stable column names (docs/reports.md).

CSV: UTF-8; the report header first as lines beginning with "#" (read with a
comment character of "#"), then the column names, the rows, and the inclusion proofs
as "#" lines at the end (they are known once every row is written). Every cell goes
through qualify.spreadsheet, so text beginning with = + - @ is escaped.

XLSX (openpyxl, write-only, streamed): sheet "Data" holds the column names and one
row per fact; "Header" the report header; "Proofs" the inclusion proofs. Text cells
are escaped like the CSV's: openpyxl would otherwise store "=..." as a formula.
"""

import io
import tempfile
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from qualify import spreadsheet
from qualify.reports.render import cells


def write_csv(request, header, rows, citations, sink) -> int:
    stream = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
    out = spreadsheet.writer(stream)
    for label, value in header.pairs():
        stream.write(f"# {label}: {_one_line(value)}\r\n")
    out.writerow(request.report.export_columns())
    n = 0
    for row in rows:
        out.writerow(cells(request, row))
        n += 1
    stream.write(f"# Rows: {n}\r\n")
    for seq, leaf, path in citations.proofs():
        stream.write(f"# Inclusion proof of event {seq}: leaf {leaf}; path {' '.join(path)}\r\n")
    stream.flush()
    stream.detach()
    return n


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _safe(ws, value: Any) -> Any:
    value = spreadsheet.cell(value)
    if isinstance(value, str):
        c = WriteOnlyCell(ws, value=value)
        c.data_type = "s"  # never a formula, whatever it begins with
        return c
    return value


def write_xlsx(request, header, rows, citations, sink) -> int:
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("Data")
    info = workbook.create_sheet("Header")
    proofs = workbook.create_sheet("Proofs")
    for label, value in header.pairs():
        info.append([_safe(info, label), _safe(info, value)])
    data.append([_safe(data, name) for name in request.report.export_columns()])
    n = 0
    for row in rows:
        data.append([_safe(data, v) for v in cells(request, row)])
        n += 1
    info.append(["Rows", n])
    proofs.append(["event", "leaf_hash", "audit_path"])
    for seq, leaf, path in citations.proofs():
        proofs.append([seq, leaf, " ".join(path)])
    # openpyxl writes a zip, which needs a seekable file: spool to disk past 16 MB.
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(1024 * 1024):
            sink.write(chunk)
    return n
