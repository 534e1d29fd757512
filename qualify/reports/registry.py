"""The registry of reports and what a report is made of.

A report is a subclass of `Report` in one module of `qualify.reports.library`,
decorated with `@register`. It declares:

- `name` (the command's and the URL's name), `title`, `question` (what it answers);
- `params`: the parameters it takes (`Param`), parsed the same way for the pages, the
  API and the command (`qualify.reports.params`);
- `columns`: the stable columns of its rows (`Column`), documented in docs/reports.md;
  a column of kind "time" becomes two in XLSX/CSV: `<name>_utc` (ISO 8601 UTC) and
  `<name>_local` (the site's local time with the zone named, T3);
- `summary(request)`: the headline facts, as (label, text) pairs;
- `rows(request)`: a generator of row dicts, one per fact, read through the query
  functions (client restriction and own-records reach apply: U2, P15) and answered
  through the engine (Q9). A row may name the record it rests on in `CITE`
  ("object_type", "object_id"): the export then cites that record's latest audit
  event, with its inclusion proof; `CORRECTED` true marks "modified after original
  entry"; `ZONE` the zone for its local times.

Rows are generated, never listed, so an export streams (memory stays flat).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

CITE = "_cite"
CORRECTED = "_corrected"
ZONE = "_zone"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = "text"  # text | time | number | bool
    doc: str = ""

    def export_names(self) -> list[str]:
        if self.kind == "time":
            return [f"{self.name}_utc", f"{self.name}_local"]
        return [self.name]


# Every export ends each row with the audit event it rests on.
AUDIT_COLUMN = Column(
    "audit_event", "Audit event", "number", "Sequence number of the cited record's latest event"
)


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    kind: str  # person | document | revision | instant | text
    required: bool = False
    help: str = ""


AT = Param(
    "at", "At", "instant", help="The instant asked about (ISO 8601 with offset); default now."
)
AS_KNOWN_AT = Param(
    "as_known_at",
    "As known at",
    "instant",
    help="Only what the system had recorded by then counts (Q7); default: all known now.",
)


@dataclass
class ReportRequest:
    """One run of a report: who asks, with which parsed parameters, when."""

    report: Report
    user: Any  # None: the command line without --user (unrestricted, the system)
    params: dict[str, Any]  # parsed values (Person, Document, datetimes, ...)
    raw: dict[str, str]  # the parameters as given, for the header and the audit event
    generated_at: dt.datetime
    zone: str = "UTC"
    context: dict[str, Any] = field(default_factory=dict)  # a report's scratch space

    @property
    def at(self) -> dt.datetime:
        return self.params.get("at") or self.generated_at

    @property
    def as_known_at(self) -> dt.datetime | None:
        return self.params.get("as_known_at")


class Report:
    name: ClassVar[str]
    title: ClassVar[str]
    question: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    columns: ClassVar[tuple[Column, ...]] = ()
    # Rows above which an export runs as a background task (`estimate`).
    large: ClassVar[int] = 2000

    def prepare(self, request: ReportRequest) -> None:
        """Check the parameters against each other, set request.zone; raise
        qualify.reports.params.BadParameters with messages for people."""

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        return []

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def estimate(self, request: ReportRequest) -> int:
        """A cheap guess of the number of rows, to send big exports to the background."""
        return 0

    def export_columns(self) -> list[str]:
        names = [n for c in self.columns for n in c.export_names()]
        return [*names, AUDIT_COLUMN.name]


REGISTRY: dict[str, Report] = {}


def register(cls: type[Report]) -> type[Report]:
    if cls.name in REGISTRY and type(REGISTRY[cls.name]) is not cls:
        raise ValueError(f"report {cls.name!r} registered twice")
    names = [n for c in cls.columns for n in c.export_names()]
    if len(names) != len(set(names)):
        raise ValueError(f"report {cls.name!r} repeats a column name")
    REGISTRY[cls.name] = cls()
    return cls


def get(name: str) -> Report | None:
    return REGISTRY.get(name)


def all_reports() -> list[Report]:
    return sorted(REGISTRY.values(), key=lambda r: r.name)
