"""The people import (P17): 10,000 new people from one CSV file on the medium plant.

    python -m bench.people_import [--people N] [--rebuild] [--json]

Plant: the medium data set of `qualify seed --scale medium` (10,000 people, 2,000
documents, 50 job functions with 20 requirements each; bench.qualification builds it,
seed 42), copied from var/bench/qualification.sqlite3 when present. It is kept as a
template (var/bench/people_import_plant.sqlite3) and copied afresh for each run, so
every run imports into the same plant. SQLite only.

The file: N new people (default 10,000) on the plant's sites and departments, each
with one job function held since 2024 (every tenth with a second one), every fifth
reporting to a manager named further down the file, written as UTF-8 CSV.

Measured, in the same process:

* `qualify import people` as the plant's training coordinator
  (`qualify.api.csv_import.import_people`): reading and checking the whole file, then
  one transaction that inserts the people and their job assignments, writes an audit
  event per row, runs G2 once for all new job assignments (an open assignment for each
  of their job functions' requirements, with its audit event) and the import's event;
* the lower bound: one transaction that bulk-inserts the very same people and job
  assignment rows (bulk_create, no checks, no audit, no G2), rolled back.

Target: the import of 10,000 people within 60 s.
"""

import argparse
import csv
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import _django

NAME = "people_import"
TARGET_SECONDS = 60.0
PEOPLE = 10_000


def _template() -> Path:
    """The medium plant, built once (about 2 minutes on SQLite) and kept."""
    template = _django.BENCH_DIR / f"{NAME}_plant.sqlite3"
    if template.exists():
        return template
    _django.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    source = _django.BENCH_DIR / "qualification.sqlite3"
    if source.exists():
        shutil.copy(source, template)
        return template
    raise SystemExit(
        "No medium plant yet: run `python -m bench.qualification` first (it builds "
        "var/bench/qualification.sqlite3), or `python -m bench.people_import --rebuild`."
    )


def _build_template() -> None:
    # Run in a child process: Django is set up once per process, on the template.
    import subprocess

    template = _django.BENCH_DIR / f"{NAME}_plant.sqlite3"
    template.unlink(missing_ok=True)
    code = (
        "from bench import _django; _django.setup('people_import_plant');"
        "from bench import qualification; qualification.build()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=_django.REPO)


def _coordinator():
    from qualify.accounts import roles
    from qualify.accounts.models import User
    from qualify.accounts.services import user_create

    user = User.objects.filter(username="bench.coordinator").first()
    return user or user_create(
        actor=None,
        username="bench.coordinator",
        printed_name="Bench Coordinator",
        roles=[roles.COORDINATOR],
    )


def write_file(path: Path, people: int, seed: int = 7) -> list[dict]:
    """The CSV file; returns its rows."""
    from qualify.org.models import Department, JobFunction, Site

    rng = random.Random(seed)
    sites = list(Site.objects.order_by("pk"))
    departments = {}
    for d in Department.objects.order_by("pk"):
        departments.setdefault(d.site_id, []).append(d.code)
    functions = list(
        JobFunction.objects.filter(active=True, client__isnull=True).values_list("code", flat=True)
    )
    rows = []
    for i in range(people):
        site = sites[i % len(sites)]
        number = f"IMP{i:06d}"
        manager = f"IMP{i + 1:06d}" if i % 5 == 0 and i + 1 < people else ""
        base = {
            "employee_number": number,
            "full_name": f"Imported Person {i}",
            "email": f"imported.{i}@plant.example",
            "site": site.code,
            "department": rng.choice(departments.get(site.pk, [""])),
            "manager": manager,
            "active": "true",
            "job_function": rng.choice(functions),
            "valid_from": f"2024-{1 + i % 12:02d}-01T06:00:00Z",
            "valid_to": "",
        }
        rows.append(base)
        if i % 10 == 0:
            second = {k: "" for k in base}
            second.update(employee_number=number, job_function=rng.choice(functions))
            second["valid_from"] = "2025-01-01T06:00:00+01:00"
            if second["job_function"] != base["job_function"]:
                rows.append(second)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def lower_bound(rows: list[dict]) -> float:
    """Seconds to bulk-insert the same people and job assignment rows, rolled back."""
    from django.db import transaction
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from qualify.org.models import Department, JobAssignment, JobFunction, Person, Site

    sites = {s.code: s.pk for s in Site.objects.all()}
    departments = {(d.site_id, d.code): d.pk for d in Department.objects.all()}
    functions = {j.code: j.pk for j in JobFunction.objects.all()}
    now = timezone.now()

    class Undo(Exception):
        pass

    started = time.perf_counter()
    try:
        with transaction.atomic():
            people = {}
            for row in rows:
                if row["full_name"]:
                    site = sites[row["site"]]
                    people[row["employee_number"]] = Person(
                        employee_number=row["employee_number"],
                        full_name=row["full_name"],
                        email=row["email"],
                        site_id=site,
                        department_id=departments.get((site, row["department"])),
                        employed_from=now,
                    )
            Person.objects.bulk_create(people.values(), batch_size=500)
            JobAssignment.objects.bulk_create(
                (
                    JobAssignment(
                        person=people[row["employee_number"]],
                        job_function_id=functions[row["job_function"]],
                        valid_from=parse_datetime(row["valid_from"]),
                        recorded_at=now,
                    )
                    for row in rows
                ),
                batch_size=500,
            )
            elapsed = time.perf_counter() - started
            raise Undo
    except Undo:
        pass
    return elapsed


def measure(people: int) -> list[dict]:
    from qualify.api.csv_import import import_people
    from qualify.audit import keys
    from qualify.audit.context import audit_context
    from qualify.audit.models import AuditEvent
    from qualify.training.models import Assignment

    if not keys.key_path().exists():  # the plant's key went with an earlier bench run
        keys.key_create()
    actor = _coordinator()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.csv"
        rows = write_file(path, people)
        bound = lower_bound(rows)
        events = AuditEvent.objects.count()
        assignments = Assignment.objects.count()
        spent = _time_audit_appends()
        started, cpu = time.perf_counter(), time.process_time()
        with audit_context(source="cli"):
            result = import_people(actor=actor, path=str(path), reason="Benchmark import")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if result.errors:
        raise SystemExit("import refused: " + "; ".join(result.errors[:5]))
    written = (
        f"{result.created:,} people, {len(rows):,} job assignments, "
        f"{Assignment.objects.count() - assignments:,} assignments (G2), "
        f"{AuditEvent.objects.count() - events:,} audit events"
    )
    return [
        _row(
            f"import of {people:,} new people ({len(rows):,} rows)",
            f"{elapsed:.1f} s",
            f"<= {TARGET_SECONDS:.0f} s",
            elapsed <= TARGET_SECONDS,
        ),
        _row("rows written by the import", written, "", None),
        _row(
            "lower bound: bulk insert of the same people and job assignments",
            f"{bound:.2f} s",
            "",
            None,
        ),
        _row("import / lower bound", f"{elapsed / bound:.1f}x", "", None),
        _row("import: CPU time of this process", f"{cpu:.1f} s", "", None),
        _row(
            "of which audit appends (canonical form, hashes, insert)", f"{spent[0]:.1f} s", "", None
        ),
        _row("import per person", f"{elapsed / people * 1000:.2f} ms", "", None),
    ]


def _time_audit_appends() -> list[float]:
    """Seconds spent in audit.record_many (every event of the import goes through it)."""
    from qualify.audit import services

    spent = [0.0]
    real = services.record_many

    def timed(events):
        started = time.perf_counter()
        try:
            return real(events)
        finally:
            spent[0] += time.perf_counter() - started

    services.record_many = timed
    return spent


def _row(metric, value, target, met) -> dict:
    return {"benchmark": NAME, "metric": metric, "value": value, "target": target or "", "met": met}


def run(*, people: int, rebuild: bool) -> list[dict]:
    if rebuild:
        _build_template()
    template = _template()
    target = _django.BENCH_DIR / f"{NAME}.sqlite3"
    _remove(target)  # with its -wal and -shm files: a stale journal would replay
    shutil.copy(template, target)
    vendor = _django.setup(NAME)
    if vendor != "sqlite":
        raise SystemExit("bench.people_import runs on SQLite (it copies the plant's file).")
    rows = measure(people)
    for row in rows:
        row["database"] = vendor
    _remove(target)
    return rows


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--rebuild", action="store_true", help="Build the medium plant again.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = run(people=args.people, rebuild=args.rebuild)
    if args.json:
        json.dump(rows, sys.stdout)
        return
    for row in rows:
        target = f"  (target {row['target']})" if row["target"] else ""
        print(f"{row['metric']}: {row['value']}{target}")


if __name__ == "__main__":
    main()
