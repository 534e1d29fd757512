"""Exports of the two largest reports: the full compliance report and one year of
audit trail (issue 13), time and peak memory against a lower bound.

    python -m bench.reports [--json] [--people 3000] [--formats csv,xlsx,pdf] [--rebuild]

Plant: `qualify.seed.scale` with the medium shape scaled to --people (documents a fifth
of the people; seed 42), built once into var/bench/reports-<people>.sqlite3 (or
BENCH_DATABASE_URL). Each scale row carries its audit event, so the audit trail holds
one event per row, all recorded within the last year.

Measured, each in turn, the best of --rounds:

* the export as the command line makes it (`qualify.reports.render.produce`, user None:
  the whole plant) into a sink that only counts bytes, per format: wall time, and in a
  separate pass the peak of Python allocations (tracemalloc, which slows the run, so its
  pass is not timed);
* the lower bound, in the same run: the very SQL the report's queries compile to (the
  same rows, for compliance every dimension's statement), run through the database
  cursor and fetched, nothing rendered; its time and its peak memory when the rows are
  fetched in chunks of 2,000 (as the report streams them) and when fetched all at once.

The audit-trail export is not audited here (`produce`, not `report_export`), so that
repeated runs read the same trail.
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

from bench import _django

NAME = "reports"
SEED = 42


class CountingSink:
    """A binary sink that keeps nothing: the export's own memory is what is measured."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True


def _best(fn, rounds: int) -> tuple[float, object]:
    best, result = None, None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def _peak(fn) -> tuple[int, object]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _statements(request) -> list[tuple[str, tuple]]:
    """The SQL the report's row queries compile to (same rows as the report reads)."""
    from qualify.reports.library import audit_trail, compliance

    if request.report.name == "compliance":
        out = []
        for dimension in request.context["dimensions"]:
            rows = (
                compliance.grouped(request, dimension)
                .order_by()
                .values_list("group", "member", "name", "number", "zone", "late")
                .distinct()
                .order_by("group", "name", "member")
            )
            out.append(rows.query.sql_with_params())
        return out
    rows = audit_trail.events(request).values_list(
        "seq", "entry", "chain_hash", "action", "object_type", "object_id", "recorded_at"
    )
    return [rows.query.sql_with_params()]


def _raw(statements, *, chunked: bool) -> int:
    from django.db import connection

    count = 0
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            if chunked:
                while batch := cursor.fetchmany(2000):
                    count += len(batch)
            else:
                count += len(cursor.fetchall())
    return count


def build(people: int) -> None:
    from qualify.audit.context import audit_context
    from qualify.seed import scale

    shape = scale.Scale(f"reports-{people}", people=people, documents=max(people // 5, 50))
    with audit_context(source="cli"):
        scale.build(shape, seed=SEED)


def measure(formats: list[str], rounds: int) -> list[dict]:
    from django.utils import timezone

    from qualify.audit.models import AuditEvent
    from qualify.org.models import Person
    from qualify.reports.render import produce
    from qualify.reports.services import report_request

    now = timezone.now()
    year_ago = (now - dt.timedelta(days=365)).isoformat()
    asks = {
        "compliance": report_request("compliance", {}, user=None, now=now),
        "audit-trail, one year": report_request(
            "audit-trail", {"from": year_ago, "to": now.isoformat()}, user=None, now=now
        ),
    }
    rows = [
        {
            "metric": "plant: people, audit events",
            "value": f"{Person.objects.count():,}, {AuditEvent.objects.count():,}",
        }
    ]
    for label, request in asks.items():
        statements = _statements(request)
        raw_s, raw_rows = _best(lambda s=statements: _raw(s, chunked=True), rounds)
        raw_chunk_peak, _ = _peak(lambda s=statements: _raw(s, chunked=True))
        raw_all_peak, _ = _peak(lambda s=statements: _raw(s, chunked=False))
        rows += [
            {"metric": f"{label}: rows", "value": f"{raw_rows:,}"},
            {
                "metric": f"{label}: lower bound, the report's SQL fetched in chunks, best of "
                f"{rounds}",
                "value": f"{raw_s:.2f} s, peak {_mb(raw_chunk_peak)} "
                f"(fetched at once: {_mb(raw_all_peak)})",
            },
        ]
        for fmt in formats:

            def export(fmt=fmt, request=request):
                sink = CountingSink()
                produced = produce(request, fmt, sink)
                return produced.rows, sink.size

            seconds, (count, size) = _best(export, rounds)
            peak, _ = _peak(export)
            rows += [
                {
                    "metric": f"{label}: {fmt} export ({count:,} rows, {_mb(size)}), best of "
                    f"{rounds}",
                    "value": f"{seconds:.2f} s, peak {_mb(peak)}",
                },
                {
                    "metric": f"{label}: {fmt} export / lower bound",
                    "value": f"time {seconds / raw_s:.1f}x, peak memory "
                    f"{peak / raw_chunk_peak:.1f}x",
                },
            ]
            if count != raw_rows:
                rows.append({"metric": f"{label}: {fmt} rows differ", "value": count, "met": False})
    rows.append(
        {
            "metric": "load average (1 min) at the end, CPUs",
            "value": f"{os.getloadavg()[0]:.1f}, {os.cpu_count()}",
        }
    )
    return rows


def main(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.reports")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--formats", default="csv,xlsx,pdf")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the plant (SQLite)")
    args = parser.parse_args(argv)

    name = f"reports-{args.people}"
    # Its own checkpoint log: the checkpoints of this plant's trail, not another bench's.
    log = _django.BENCH_DIR / f"{name}-checkpoints.log"
    os.environ["QUALIFY_CHECKPOINT_LOG"] = str(log)
    if args.rebuild and not os.environ.get("BENCH_DATABASE_URL"):
        Path(_django.BENCH_DIR / f"{name}.sqlite3").unlink(missing_ok=True)
        log.unlink(missing_ok=True)
    vendor = _django.setup(name)
    from qualify.org.models import Person

    if not Person.objects.exists():
        start = time.perf_counter()
        build(args.people)
        print(f"built the plant in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    rows = measure(args.formats.split(","), args.rounds)
    for row in rows:
        row["benchmark"] = f"{NAME} ({vendor})"
        row.setdefault("target", "")
        row.setdefault("met", None)
    return rows


if __name__ == "__main__":
    results = main(sys.argv[1:])
    if "--json" in sys.argv:
        print(json.dumps(results, default=str))
    else:
        for result in results:
            print(f"{result['metric']}: {result['value']}")
