"""Exports of the two largest reports: the full compliance report and one year of audit
trail (issue 13), time and peak memory against a lower bound measured in the same run.

    python -m bench.reports [--people 10000] [--formats csv,xlsx,pdf]
                            [--reports compliance,audit-trail] [--json] [--rebuild]

Plant: `qualify.seed.scale` with the medium shape scaled to --people (documents a fifth
of the people; seed 42; --people 10000 is the medium plant), built once into
var/bench/reports-<people>.sqlite3 (or BENCH_DATABASE_URL). Each scale row carries its
audit event, so the audit trail holds one event per row, all recorded within the last
year.

Every measurement runs in a fresh child process (`--child`), so its peak resident
memory (ru_maxrss) is its own:

* idle: Django set up and the report's request parsed, nothing read. Its peak is the
  floor every other child starts from; "memory" below is a child's peak minus it.
* lower bound: the very SQL the report's row queries compile to (the same rows; for
  compliance every dimension's statement), fetched through the database cursor in
  chunks of 2,000 and written with the bare csv module into a sink that keeps nothing.
* export: `qualify.reports.render.produce` as the command line makes it (user None:
  the whole plant) in one format into a sink that keeps nothing (the export's bytes are
  counted and hashed, not kept).

Before the children run, the parent signs a checkpoint over the trail (that signing
verifies the whole trail first, so it is timed and reported apart: an export pays it
once when events arrived since the last checkpoint). The exports here are not audited
(`produce`, not `report_export`), so every child rests on that same checkpoint.
"""

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import _django

NAME = "reports"
SEED = 42
REPORTS = ("compliance", "audit-trail")


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


class _TextSink:
    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text.encode("utf-8"))
        return len(text)


def _mb(kib: float) -> str:
    return f"{kib / 1024:.0f} MB"


def _request(report: str):
    from django.utils import timezone

    from qualify.reports.services import report_request

    now = timezone.now()
    raw = {}
    if report == "audit-trail":
        raw = {"from": (now - dt.timedelta(days=365)).isoformat(), "to": now.isoformat()}
    return report_request(report, raw, user=None, now=now)


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


def _lower_bound(request) -> dict:
    """The report's SQL fetched in chunks and written with the bare csv module."""
    from django.db import connection

    sink = _TextSink()
    out = csv.writer(sink)
    count = 0
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in _statements(request):
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(2000):
                out.writerows(batch)
                count += len(batch)
    return {"seconds": time.perf_counter() - start, "rows": count, "size": sink.size}


def _export(request, fmt: str) -> dict:
    from qualify.reports.render import produce

    sink = CountingSink()
    start = time.perf_counter()
    produced = produce(request, fmt, sink)
    return {"seconds": time.perf_counter() - start, "rows": produced.rows, "size": sink.size}


def child(args) -> None:
    """One measurement in this process; prints its result as JSON on the last line."""
    _setup(args.people, migrate=False)
    request = _request(args.report)
    if args.child == "idle":
        result: dict = {"seconds": 0.0, "rows": 0, "size": 0}
    elif args.child == "lower":
        result = _lower_bound(request)
    else:
        result = _export(request, args.child)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["maxrss_kib"] = usage.ru_maxrss
    # The whole child's processor time (setup included): on a shared, loaded host the
    # wall time above is mostly waiting for a CPU.
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


def _run_child(people: int, report: str, what: str) -> dict:
    command = [sys.executable, "-m", "bench.reports", "--people", str(people)]
    command += ["--child", what, "--report", report]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{report} {what}: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{report} {what}: {result}", file=sys.stderr, flush=True)
    return result


def build(people: int) -> None:
    from qualify.audit.context import audit_context
    from qualify.seed import scale

    shape = scale.Scale(f"reports-{people}", people=people, documents=max(people // 5, 50))
    with audit_context(source="cli"):
        scale.build(shape, seed=SEED)


def measure(people: int, reports: list[str], formats: list[str]) -> list[dict]:
    from qualify.audit.models import AuditEvent
    from qualify.org.models import Person
    from qualify.reports.evidence import checkpoint_for_export

    start = time.perf_counter()
    checkpoint, note = checkpoint_for_export()
    signing = time.perf_counter() - start
    rows = [
        {
            "metric": "plant: people, audit events",
            "value": f"{Person.objects.count():,}, {AuditEvent.objects.count():,}",
        },
        {
            "metric": "checkpoint for the exports (signing verifies the whole trail)",
            "value": f"{signing:.1f} s, tree size {checkpoint.tree_size:,}"
            if checkpoint
            else f"none: {note}",
        },
    ]
    for report in reports:
        idle = _run_child(people, report, "idle")
        lower = _run_child(people, report, "lower")
        floor = idle["maxrss_kib"]
        lower_mem = lower["maxrss_kib"] - floor
        rows += [
            {"metric": f"{report}: idle process (Django, the request parsed)", "value": _mb(floor)},
            {
                "metric": f"{report}: lower bound, the report's SQL in chunks written by csv "
                f"({lower['rows']:,} rows, {lower['size'] / 1e6:.1f} MB)",
                "value": f"{lower['seconds']:.2f} s, memory +{_mb(lower_mem)}",
            },
        ]
        for fmt in formats:
            got = _run_child(people, report, fmt)
            memory = got["maxrss_kib"] - floor
            rows += [
                {
                    "metric": f"{report}: {fmt} ({got['rows']:,} rows, {got['size'] / 1e6:.1f} MB)",
                    "value": f"{got['seconds']:.2f} s, memory +{_mb(memory)}",
                },
                {
                    "metric": f"{report}: {fmt} / lower bound",
                    # Memory as the two differences: the lower bound's is often
                    # nothing above the idle process, so a ratio would say little.
                    "value": f"time {got['seconds'] / lower['seconds']:.1f}x, "
                    f"memory +{_mb(memory)} against +{_mb(lower_mem)}",
                },
            ]
            if report == "compliance" and got["rows"] != lower["rows"]:
                rows.append(
                    {"metric": f"{report}: {fmt} rows differ", "value": got["rows"], "met": False}
                )
    rows.append(
        {
            "metric": "load average (1 min) at the end, CPUs",
            "value": f"{os.getloadavg()[0]:.1f}, {os.cpu_count()}",
        }
    )
    return rows


def _setup(people: int, *, migrate: bool = True) -> str:
    name = f"reports-{people}"
    # Its own checkpoint log: the checkpoints of this plant's trail, not another bench's.
    os.environ["QUALIFY_CHECKPOINT_LOG"] = str(_django.BENCH_DIR / f"{name}-checkpoints.log")
    return _django.setup(name, migrate=migrate)


def main(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.reports")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--formats", default="csv,xlsx,pdf")
    parser.add_argument("--reports", default=",".join(REPORTS))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the plant (SQLite)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return []

    name = f"reports-{args.people}"
    if args.rebuild and not os.environ.get("BENCH_DATABASE_URL"):
        Path(_django.BENCH_DIR / f"{name}.sqlite3").unlink(missing_ok=True)
        (_django.BENCH_DIR / f"{name}-checkpoints.log").unlink(missing_ok=True)
    vendor = _setup(args.people)
    from qualify.org.models import Person

    if not Person.objects.exists():
        start = time.perf_counter()
        build(args.people)
        print(f"built the plant in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    rows = measure(args.people, args.reports.split(","), args.formats.split(","))
    for row in rows:
        row["benchmark"] = f"{NAME} ({vendor})"
        row.setdefault("target", "")
        row.setdefault("met", None)
    return rows


if __name__ == "__main__":
    results = main(sys.argv[1:])
    if "--child" in sys.argv:
        sys.exit(0)
    if "--json" in sys.argv:
        print(json.dumps(results, default=str))
    else:
        for result in results:
            print(f"{result['metric']}: {result['value']}", flush=True)
