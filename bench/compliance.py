"""Compliance summary by department for every person, at medium scale (Q6).

    python -m bench.compliance [--json]

Uses the medium data set of bench.qualification (`qualify seed --scale medium`, seed 42:
10,000 people, 20,000 open assignments of which about half are overdue at AT), built
there once in var/bench/qualification.sqlite3 (or BENCH_DATABASE_URL). Measures, median
of 5 each, run in turn:

* `training.queries.compliance_summary(by="department", at=AT)`;
* the raw SQL GROUP BY that answers the same question from the same rows: people
  employed at AT per department, and those with no assignment open past its due date
  at AT (open then: created by AT, and open or closed after AT).

Both answers are compared row by row. Target: the summary <= 1 s.
"""

import argparse
import json
import os
import statistics
import sys
import time

from bench import _django

NAME = "compliance"
TARGET_MS = 1000

RAW_SQL = """
SELECT p.department_id, d.name, COUNT(*) AS people,
       SUM(CASE WHEN EXISTS (
           SELECT 1 FROM training_assignment a
           WHERE a.person_id = p.id AND a.created_at <= %(at)s AND a.due_at < %(at)s
             AND (a.status = 'open' OR a.closed_at > %(at)s)
       ) THEN 0 ELSE 1 END) AS compliant
FROM org_person p LEFT JOIN org_department d ON d.id = p.department_id
WHERE (p.active AND p.deactivated_at IS NULL) OR p.deactivated_at > %(at)s
GROUP BY p.department_id, d.name
"""


def _median_ms(fn, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.compliance")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data set (SQLite)")
    args = parser.parse_args(argv)

    # The same database as bench.qualification: the medium data set is built once.
    vendor = _django.setup("qualification", migrate=False)
    if args.rebuild and vendor == "sqlite":
        from bench import qualification

        qualification._reset_sqlite()
        vendor = _django.setup("qualification", migrate=False)
    from django.core.management import call_command
    from django.db import connection

    from bench import qualification
    from qualify.org.models import Person
    from qualify.training import queries

    call_command("migrate", verbosity=0, interactive=False)
    if not qualification._ready():
        if Person.objects.exists():
            raise SystemExit("The bench database holds other data; rebuild bench.qualification.")
        qualification.build()
    at = qualification.AT

    def raw():
        with connection.cursor() as cursor:
            # As Django stores it: SQLite compares datetimes as text.
            cursor.execute(RAW_SQL, {"at": connection.ops.adapt_datetimefield_value(at)})
            return sorted(
                (name or "(none)", people, compliant)
                for _, name, people, compliant in cursor.fetchall()
            )

    def summary():
        return queries.compliance_summary(by="department", at=at)

    summary_ms = raw_ms = None
    summary_times, raw_times = [], []
    answer = expected = None
    for _ in range(args.rounds):
        ms, answer = _median_ms(summary, 1)
        summary_times.append(ms)
        ms, expected = _median_ms(raw, 1)
        raw_times.append(ms)
    summary_ms, raw_ms = statistics.median(summary_times), statistics.median(raw_times)
    got = sorted((row.name, row.people, row.compliant) for row in answer)
    people = sum(row.people for row in answer)
    compliant = sum(row.compliant for row in answer)
    rows = [
        {"metric": "people, departments", "value": f"{people:,}, {len(answer)}"},
        {"metric": "compliant at AT", "value": f"{compliant:,} ({compliant / people:.0%})"},
        {
            "metric": "compliance_summary by department, all people, median ms",
            "value": round(summary_ms, 1),
            "target": f"<= {TARGET_MS} ms",
            "met": summary_ms <= TARGET_MS,
        },
        {"metric": "raw SQL GROUP BY for the same answer, median ms", "value": round(raw_ms, 1)},
        {"metric": "summary / raw SQL", "value": f"{summary_ms / raw_ms:.1f}x"},
        {"metric": "summary and raw SQL agree", "value": got == expected},
        {
            "metric": "load average (1 min) at the end, CPUs",
            "value": f"{os.getloadavg()[0]:.1f}, {os.cpu_count()}",
        },
    ]
    for row in rows:
        row["benchmark"] = f"{NAME} ({vendor})"
        row.setdefault("target", "")
        row.setdefault("met", None)
    return rows


if __name__ == "__main__":
    results = main(sys.argv[1:])
    if "--json" in sys.argv:
        print(json.dumps(results))
    else:
        for result in results:
            print(f"{result['metric']}: {result['value']}  {result.get('target', '')}")
