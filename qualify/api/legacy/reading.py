"""Reading a legacy export: CSV (any encoding the people import recognises) or XLSX
(openpyxl, first sheet), into (line, {column: text}) rows, with the file's SHA-256.

The whole file is read and checked before anything is written (validate first);
what makes the whole file unreadable (binary data, an unknown encoding, a missing
column) is `Refused` with a message for people, what concerns one row is refused
with that row's line by the kind's checker.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from qualify import limits
from qualify.api.csv_import import Refused, decode
from qualify.edge import parse_aware

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    name: str
    sha256: str
    encoding: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _cell(value) -> str:
    """An XLSX cell as text. A date-time cell has no zone (Excel stores none): it is
    written out naive, and the row's time_zone column must say where it was."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign ZIP: openpyxl raises many kinds
        raise Refused(f"The spreadsheet cannot be opened ({type(exc).__name__}).") from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    try:
        header = [_cell(v).strip() for v in next(lines)]
    except StopIteration:
        raise Refused("The spreadsheet's first sheet is empty.") from None
    while header and not header[-1]:
        header.pop()
    rows = []
    for number, values in enumerate(lines, start=2):
        texts = [_cell(v) for v in values]
        if any(t.strip() for t in texts):
            rows.append((number, texts))
            if len(rows) > limits.import_max_rows():
                break  # refused by read_table without reading the rest
    book.close()
    return header, rows


def _csv(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise Refused("The file is empty.") from None
    except csv.Error as exc:
        raise Refused(f"line 1: the header cannot be read as CSV ({exc}).") from None
    rows = []
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise Refused(f"line {start}: cannot be read as CSV ({exc}).") from None
        if any(v.strip() for v in values):
            rows.append((start, values))
        start = reader.line_num + 1
    return header, rows


def _decode_as(data: bytes, encoding: str) -> str:
    """The text in the encoding the exporter names: guessing from the bytes can take
    one Western code page for another (cp1252's "ø" is cp1250's "ř")."""
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise Refused(f"{encoding!r} is not an encoding name such as utf-8 or cp1252.") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Refused(
            f"line {line}: the file is not in {encoding} (byte {data[exc.start]:#04x} cannot "
            "be read); name the encoding it was exported in."
        ) from None
    return text.removeprefix("\ufeff")


def read_table(
    path: str | Path, *, columns: list[str], required: set[str], encoding: str = ""
) -> Table:
    """The file as a table; Refused when it cannot be read as a whole. `encoding`:
    the CSV's encoding when the exporter knows it; otherwise it is recognised."""
    file = Path(path)
    try:
        limits.check_import_size(file.stat().st_size)
        data = file.read_bytes()
    except limits.InputTooLarge as exc:
        raise Refused(str(exc)) from None
    except OSError as exc:
        raise Refused(f"The file cannot be read: {exc.strerror or exc}.") from None
    sha256 = hashlib.sha256(data).hexdigest()
    if data.startswith(XLSX_MAGIC):
        header, raw, encoding = *_xlsx(data), "xlsx"
    else:
        if encoding:
            text = _decode_as(data, encoding)
        else:
            text, encoding = decode(data)
        header, raw = _csv(text)
    header = [h.lower() for h in header]
    missing = required - set(header)
    if missing:
        raise Refused(
            f"line 1: the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(sorted(missing))} {'are' if len(missing) > 1 else 'is'} missing; "
            f"the columns are {', '.join(columns)}."
        )
    unknown = [h for h in header if h and h not in columns]
    if unknown:
        raise Refused(
            f"line 1: unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"the columns are {', '.join(columns)}."
        )
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise Refused(f"line 1: columns given twice: {', '.join(repeated)}")
    try:
        limits.check_import_rows(len(raw))
    except limits.InputTooLarge as exc:
        raise Refused(str(exc)) from None
    rows = []
    for line, values in raw:
        row = {h: (v or "").strip() for h, v in zip(header, values, strict=False) if h}
        if len([v for v in values[len(header) :] if (v or "").strip()]):
            row["\x00"] = "extra"  # marks values beyond the header
        rows.append((line, row))
    return Table(file.name, sha256, encoding, header, rows)


def attested_time(text: str, zone: str) -> dt.datetime:
    """T1: an attested time must say its zone: an ISO time with a UTC offset, or a
    local time with the row's time_zone (an IANA name such as Europe/Dublin)."""
    if not text:
        raise ValueError("This field is required.")
    if zone:
        try:
            info = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"time_zone {zone[:40]!r} is not a time zone name such as Europe/Dublin."
            ) from None
        try:
            naive = dt.datetime.fromisoformat(text.replace("T", " ", 1) if "T" in text else text)
        except ValueError:
            raise ValueError(f"{text[:40]!r} is not a date and time (YYYY-MM-DD HH:MM).") from None
        if naive.tzinfo is not None:
            return naive
        return naive.replace(tzinfo=info)
    try:
        return parse_aware(text)
    except ValueError as exc:
        raise ValueError(
            f"{exc} Give the time with its UTC offset (2024-03-05T14:30+01:00) or fill "
            "the time_zone column."
        ) from None
