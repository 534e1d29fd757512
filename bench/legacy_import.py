"""The go-live migration of training history (issue 11, R2): 50,000 historical
training records from one legacy CSV export.

    python -m bench.legacy_import [--records N] [--json]

Plant (built afresh in var/bench/legacy_import.sqlite3, or in BENCH_DATABASE_URL;
not measured): 2,000 people on one site, 20 read-and-understand requirements each
linked to a document with two approved revisions (the later in force from a year
ago), and 5 classroom requirements with a trainer. Setup writes rows directly, as a
plant's own history would be; only the import is measured.

The file: N records (default 50,000) over the last two years, one in ten a classroom
session with its trainer, half the times local (Europe/Dublin with the time_zone
column), half with a UTC offset, UTF-8 CSV.

Measured, in the same process:

* `qualify import legacy training` as the plant's training coordinator
  (`qualify.api.legacy.training.import_training`): reading and checking the whole
  file (zone, future, people, requirements, the version in force at each completion,
  Q1), then one transaction that stores the migration report, inserts the records
  in chunks of 2,000 and writes an audit event per record (A1);
* the lower bound: one transaction that bulk-inserts the very same TrainingRecord
  rows (bulk_create, no checks, no audit), rolled back.

Target: 50,000 records within 120 s.
"""

import argparse
import csv
import datetime as dt
import json
import random
import tempfile
import time
from pathlib import Path

from bench import _django

NAME = "legacy_import"
TARGET_SECONDS = 120.0
RECORDS = 50_000
PEOPLE = 2_000


def build_plant():
    """The plant; returns (coordinator, people numbers, reading codes, classroom codes,
    trainer number)."""
    from django.utils import timezone

    from qualify.accounts import roles
    from qualify.accounts.models import User
    from qualify.accounts.services import user_create
    from qualify.documents.models import Document, DocumentVersion, VersionStatus
    from qualify.org.models import Person, Site
    from qualify.training.models import Method, Requirement

    coordinator = User.objects.filter(username="bench.coordinator").first() or user_create(
        actor=None,
        username="bench.coordinator",
        printed_name="Bench Coordinator",
        roles=[roles.COORDINATOR],
    )
    if Person.objects.filter(employee_number="LB00000").exists():
        numbers = list(
            Person.objects.filter(employee_number__startswith="LB")
            .order_by("employee_number")
            .values_list("employee_number", flat=True)
        )
    else:
        now = timezone.now()
        site = Site.objects.create(code="LB", name="Legacy bench plant", time_zone="Europe/Dublin")
        people = [
            Person(
                employee_number=f"LB{i:05d}",
                full_name=f"Legacy Person {i}",
                site=site,
                employed_from=now - dt.timedelta(days=3650),
            )
            for i in range(PEOPLE)
        ]
        Person.objects.bulk_create(people, batch_size=500)
        numbers = [p.employee_number for p in people]
        ttt = Requirement.objects.create(
            code="LB-TTT", title="Train the trainer", method=Method.EXTERNAL, created_at=now
        )
        for n in range(20):
            document = Document.objects.create(
                number=f"LB-SOP-{n:03d}",
                title=f"Procedure {n}",
                doc_type="sop",
                owner=coordinator,
                created_at=now,
            )
            first = DocumentVersion.objects.create(
                document=document,
                revision="1",
                sequence=1,
                status=VersionStatus.APPROVED,
                change_summary="First issue",
                author=coordinator,
                created_at=now,
                approved_at=now,
                effective_from=now - dt.timedelta(days=3000),
                effective_to=now - dt.timedelta(days=365),
            )
            first.baseline = first
            first.save(update_fields=["baseline"])
            second = DocumentVersion.objects.create(
                document=document,
                revision="2",
                sequence=2,
                status=VersionStatus.APPROVED,
                change_summary="Revised",
                author=coordinator,
                created_at=now,
                approved_at=now,
                effective_from=now - dt.timedelta(days=365),
            )
            second.baseline = second
            second.save(update_fields=["baseline"])
            Requirement.objects.create(
                code=f"LB-RU-{n:03d}",
                title=f"Read {document.number}",
                method=Method.READ_AND_UNDERSTAND,
                document=document,
                created_at=now,
            )
        for n in range(5):
            Requirement.objects.create(
                code=f"LB-CL-{n}",
                title=f"Classroom {n}",
                method=Method.CLASSROOM,
                trainer_requirement=ttt,
                created_at=now,
            )
    reading = [f"LB-RU-{n:03d}" for n in range(20)]
    classroom = [f"LB-CL-{n}" for n in range(5)]
    return coordinator, numbers, reading, classroom


def write_file(path: Path, records: int, numbers, reading, classroom, seed: int = 11) -> None:
    from django.utils import timezone

    rng = random.Random(seed)
    start = timezone.now() - dt.timedelta(days=720)
    trainer = numbers[-1]
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["employee_number", "requirement", "completed_at", "time_zone", "method", "trainer"]
        )
        for i in range(records):
            person = numbers[i % (len(numbers) - 1)]
            when = start + dt.timedelta(minutes=20 * i + rng.randint(0, 9))
            if i % 10 == 0:
                out.writerow(
                    [person, rng.choice(classroom), when.isoformat(), "", "classroom", trainer]
                )
            elif i % 2:
                local = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
                out.writerow([person, rng.choice(reading), local, "Europe/Dublin", "", ""])
            else:
                out.writerow([person, rng.choice(reading), when.isoformat(), "", "", ""])


def lower_bound(records):
    """Seconds to bulk-insert the same rows (the import's own, re-made), rolled back."""
    from django.db import transaction

    from qualify.training.models import TrainingRecord

    class Undo(Exception):
        pass

    copies = [
        TrainingRecord(
            **{
                f.attname: getattr(r, f.attname)
                for f in TrainingRecord._meta.concrete_fields
                if f.attname != "id"
            }
        )
        for r in records
    ]
    for copy in copies:  # the originals are there: another source keeps them apart
        copy.migrated_source = "bound"
    started = time.perf_counter()
    try:
        with transaction.atomic():
            TrainingRecord.objects.bulk_create(copies, batch_size=2000)
            elapsed = time.perf_counter() - started
            raise Undo
    except Undo:
        pass
    return elapsed


def measure(records: int) -> list[dict]:
    from qualify.api.legacy.training import import_training
    from qualify.audit import keys
    from qualify.audit.context import audit_context
    from qualify.training.models import TrainingRecord

    if not keys.key_path().exists():
        keys.key_create()
    coordinator, numbers, reading, classroom = build_plant()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lms-export.csv"
        write_file(path, records, numbers, reading, classroom)
        started, cpu = time.perf_counter(), time.process_time()
        with audit_context(source="cli"):
            outcome = import_training(
                actor=coordinator,
                path=str(path),
                source_system=f"bench-{time.time_ns()}",
                progress=lambda message: print(message, flush=True),
            )
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if outcome.problem or outcome.refusals:
        raise SystemExit(f"import refused: {outcome.problem or outcome.lines()[:5]}")
    written = list(TrainingRecord.objects.filter(migration=outcome.report))
    bound = lower_bound(written)
    return [
        _row(
            f"import of {records:,} training records",
            f"{elapsed:.1f} s",
            f"<= {TARGET_SECONDS:.0f} s",
            elapsed <= TARGET_SECONDS,
        ),
        _row("records created", f"{outcome.created:,}", "", None),
        _row("lower bound: bulk insert of the same rows", f"{bound:.2f} s", "", None),
        _row("import / lower bound", f"{elapsed / bound:.1f}x", "", None),
        _row("import: CPU time of this process", f"{cpu:.1f} s", "", None),
        _row("import per record", f"{elapsed / records * 1000:.2f} ms", "", None),
    ]


def _row(metric, value, target, met) -> dict:
    return {"benchmark": NAME, "metric": metric, "value": value, "target": target or "", "met": met}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    vendor = _django.setup(NAME)
    rows = measure(args.records)
    for row in rows:
        row["database"] = vendor
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            met = "" if row["met"] is None else (" (met)" if row["met"] else " (NOT met)")
            print(f"{row['metric']}: {row['value']} {row['target']}{met}")


if __name__ == "__main__":
    main()
