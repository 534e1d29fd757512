"""CSV that a spreadsheet cannot turn into a formula (issue 10, CSV injection).

Every CSV the application writes goes through `writer`/`dict_writer`: a text cell
that begins with = + - @ TAB or CR is written with a leading apostrophe, so Excel,
LibreOffice and Google Sheets show it as text instead of evaluating it (a reason
"=HYPERLINK(...)" typed by a user must never run on an inspector's machine). Only
text is escaped: numbers stay numbers. The stored value is never changed; only the
export shows the apostrophe. Like `qualify.hooks`, this module sits outside the
layers and any layer may import it.
"""

import csv
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """The value as a spreadsheet must see it: text that would start a formula gets a
    leading apostrophe; everything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._inner.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _SafeDictWriter(csv.DictWriter):
    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def writer(sink: Any, **options: Any) -> _SafeWriter:
    """`csv.writer` with every cell escaped (see the module docstring)."""
    return _SafeWriter(csv.writer(sink, **options))


def dict_writer(sink: Any, fieldnames: Iterable[str], **options: Any) -> csv.DictWriter:
    """`csv.DictWriter` with every cell escaped; the header row is the field names."""
    return _SafeDictWriter(sink, list(fieldnames), **options)
