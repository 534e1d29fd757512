"""Qualification engine speed at medium scale (10,000 people, 2,000 documents).

    python -m bench.qualification [--rebuild] [--json]

Builds (once, with bulk_create) a plant in var/bench/qualification.sqlite3 (or
BENCH_DATABASE_URL): 10,000 people with user accounts, 2,000 documents with two
versions each (half the second versions editorial), one read-and-understand
requirement per document, 8 signed records per person (80,000 records and 80,000
signatures), some requalification orders and 20,000 assignments. Then measures,
best-of / median as stated:

* one `document_qualification` (median of 300 random pairs) against one raw SQL
  query that answers the same question from the same rows (effective version and
  its baseline, record completed by T on that baseline, not superseded, not
  revoked, trainee signature present). The SQL cannot check the signature's content
  hash or the calendar-month recurrence; the engine does both. Target <= 3x.
* 1,000 checks in one `check_many` call (median of 5): target <= 100 ms.
* `compliance_summary(by="department")` over all people: target <= 1 s.
"""

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time

from bench import _django

NAME = "qualification"
PEOPLE = 10_000
DOCUMENTS = 2_000
RECORDS_PER_PERSON = 8
BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
AT = BASE + dt.timedelta(days=300)

RAW_SQL = """
SELECT r.id, EXISTS (
    SELECT 1 FROM training_trainingrecord c
    JOIN documents_documentversion cv ON cv.id = c.document_version_id
    WHERE c.person_id = %(person)s AND c.requirement_id = r.id AND c.completed_at <= %(at)s
      AND COALESCE(cv.baseline_id, cv.id) = (
          SELECT COALESCE(v.baseline_id, v.id) FROM documents_documentversion v
          WHERE v.document_id = r.document_id AND v.status = 'approved'
            AND v.effective_from <= %(at)s
          ORDER BY v.effective_from DESC, v.sequence DESC LIMIT 1)
      AND NOT EXISTS (SELECT 1 FROM training_trainingrecord s WHERE s.supersedes_id = c.id)
      AND NOT EXISTS (
          SELECT 1 FROM training_requalificationorder o
          WHERE o.person_id = c.person_id AND o.requirement_id = c.requirement_id
            AND o.issued_at > c.completed_at AND o.issued_at <= %(at)s)
      AND EXISTS (
          SELECT 1 FROM signatures_signature g
          WHERE g.object_type = 'training.trainingrecord'
            AND g.object_id = CAST(c.id AS VARCHAR(64))
            AND g.signer_id = %(user)s
            AND g.meaning IN ('read_and_understood', 'completed_training'))
)
FROM training_requirement r WHERE r.document_id = %(document)s AND r.active
"""


def build() -> None:
    from django.db import transaction

    from qualify.accounts.models import User
    from qualify.documents.models import Document, DocumentVersion
    from qualify.org.models import Department, Person, Site
    from qualify.signatures.models import Signature
    from qualify.signatures.services import content_hash
    from qualify.training.models import (
        Assignment,
        RequalificationOrder,
        Requirement,
        TrainingRecord,
    )

    rng = random.Random(42)
    batch = 2000
    with transaction.atomic():
        site = Site.objects.create(code="BENCH", name="Bench plant")
        departments = Department.objects.bulk_create(
            [Department(site=site, code=f"D{i}", name=f"Department {i:02d}") for i in range(20)]
        )
        users = User.objects.bulk_create(
            [
                User(username=f"u{i}", printed_name=f"User {i}", password="!")
                for i in range(PEOPLE + 1)
            ],
            batch_size=batch,
        )
        owner = users[-1]
        people = Person.objects.bulk_create(
            [
                Person(
                    employee_number=f"E{i:06d}",
                    full_name=f"Person {i}",
                    site=site,
                    department=departments[i % 20],
                    user=users[i],
                )
                for i in range(PEOPLE)
            ],
            batch_size=batch,
        )
        documents = Document.objects.bulk_create(
            [
                Document(
                    number=f"SOP-{i:05d}",
                    title=f"Procedure {i}",
                    doc_type="sop",
                    owner=owner,
                    site=site,
                    created_at=BASE,
                )
                for i in range(DOCUMENTS)
            ],
            batch_size=batch,
        )
        versions = []
        for i, document in enumerate(documents):
            for sequence, (start, retraining) in enumerate(
                [(0, True), (100 + i % 150, i % 2 == 0)], start=1
            ):
                versions.append(
                    DocumentVersion(
                        document=document,
                        revision=str(sequence),
                        sequence=sequence,
                        status="approved",
                        change_summary="bench",
                        retraining_required=retraining,
                        author=owner,
                        created_at=BASE,
                        approved_at=BASE + dt.timedelta(days=start),
                        effective_from=BASE + dt.timedelta(days=start),
                    )
                )
        versions = DocumentVersion.objects.bulk_create(versions, batch_size=batch)
        _store_baselines()
        by_document = {}
        for version in versions:
            by_document.setdefault(version.document_id, []).append(version)
        requirements = Requirement.objects.bulk_create(
            [
                Requirement(
                    code=f"R-{d.number}",
                    title=f"Read {d.number}",
                    method="read",
                    document=d,
                    created_at=BASE,
                )
                for d in documents
            ],
            batch_size=batch,
        )
        records = []
        for person in people:
            for requirement in rng.sample(requirements, RECORDS_PER_PERSON):
                day = rng.randint(0, 290)
                first, second = by_document[requirement.document_id]
                version = second if day >= (second.effective_from - BASE).days else first
                when = BASE + dt.timedelta(days=day, minutes=rng.randint(0, 1000))
                records.append(
                    TrainingRecord(
                        person=person,
                        requirement=requirement,
                        document_version=version,
                        method="read",
                        completed_at=when,
                        recorded_at=when,
                        evidence="signature",
                        entered_by=owner,
                    )
                )
        records = TrainingRecord.objects.bulk_create(records, batch_size=batch)
        user_of = {p.pk: p.user_id for p in people}
        username = {u.pk: u.username for u in users}
        Signature.objects.bulk_create(
            [
                Signature(
                    signer_id=user_of[r.person_id],
                    username=username[user_of[r.person_id]],
                    printed_name="Bench",
                    signed_at=r.recorded_at,
                    meaning="read_and_understood",
                    object_type="training.trainingrecord",
                    object_id=str(r.pk),
                    content_hash=content_hash(r),
                )
                for r in records
            ],
            batch_size=batch,
        )
        RequalificationOrder.objects.bulk_create(
            [
                RequalificationOrder(
                    person_id=r.person_id,
                    requirement_id=r.requirement_id,
                    issued_at=r.completed_at + dt.timedelta(days=5),
                    recorded_at=r.completed_at + dt.timedelta(days=5),
                    reason="bench",
                )
                for r in records[::50]
            ],
            batch_size=batch,
        )
        Assignment.objects.bulk_create(
            [
                Assignment(
                    person=people[i % PEOPLE],
                    requirement=requirements[(i * 7 + i // PEOPLE) % DOCUMENTS],
                    reason="matrix",
                    due_at=BASE + dt.timedelta(days=rng.randint(200, 400)),
                    created_at=BASE,
                )
                for i in range(2 * PEOPLE)
            ],
            batch_size=batch,
        )


def _store_baselines() -> None:
    """Q2 as approval stores it: each version's baseline (raw SQL reads the column)."""
    from qualify.documents.models import DocumentVersion

    latest = {}
    changed = []
    for version in DocumentVersion.objects.order_by("document_id", "sequence"):
        if version.retraining_required or version.document_id not in latest:
            latest[version.document_id] = version.pk
        if version.baseline_id != latest[version.document_id]:
            version.baseline_id = latest[version.document_id]
            changed.append(version)
    DocumentVersion.objects.bulk_update(changed, ["baseline"], batch_size=2000)


def _ready() -> bool:
    from qualify.org.models import Person
    from qualify.training.models import TrainingRecord

    return (
        Person.objects.count() == PEOPLE
        and TrainingRecord.objects.count() == PEOPLE * RECORDS_PER_PERSON
    )


def _median_ms(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure() -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qualify.documents.models import Document
    from qualify.org.models import Person
    from qualify.training import engine, queries

    rng = random.Random(7)
    people = list(Person.objects.order_by("?")[:1000])
    documents = list(Document.objects.order_by("?")[:1000])
    # A gate mostly asks about procedures people work to, so half the pairs name a
    # document the person trained on, half a random one.
    from qualify.training.models import TrainingRecord

    trained = {}
    for person_id, document_id in TrainingRecord.objects.filter(person__in=people).values_list(
        "person_id", "requirement__document_id"
    ):
        trained.setdefault(person_id, []).append(document_id)
    by_pk = Document.objects.in_bulk({d for ds in trained.values() for d in ds})
    pairs = [
        (p, by_pk[rng.choice(trained[p.pk])] if i % 2 else rng.choice(documents))
        for i, p in enumerate(people)
    ]
    singles = pairs[:300]

    engine_times, sql_times, agree = [], [], 0
    with connection.cursor() as cursor:
        for person, document in singles:
            start = time.perf_counter()
            answer = engine.document_qualification(person, document, at=AT)
            engine_times.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            cursor.execute(
                RAW_SQL,
                {"person": person.pk, "user": person.user_id, "document": document.pk, "at": AT},
            )
            rows = cursor.fetchall()
            sql_times.append((time.perf_counter() - start) * 1000)
            agree += answer.qualified == all(bool(ok) for _, ok in rows)
    one = statistics.median(engine_times)
    raw = statistics.median(sql_times)
    bulk = _median_ms(lambda: engine.check_many(pairs, at=AT), 5)
    with CaptureQueriesContext(connection) as captured:
        answers = engine.check_many(pairs, at=AT)
    summary = _median_ms(lambda: queries.compliance_summary(by="department", at=AT), 3)
    qualified = sum(a.qualified for a in answers)
    return [
        _row("one check (document_qualification), median ms", round(one, 3), None, None),
        _row("raw SQL for the same question, median ms", round(raw, 3), None, None),
        _row("one check / raw SQL", round(one / raw, 2), "<= 3x", one / raw <= 3),
        _row("engine and SQL agree (of 300)", agree, None, None),
        _row("check_many 1,000 pairs, median ms", round(bulk, 1), "<= 100 ms", bulk <= 100),
        _row("check_many 1,000 pairs, queries", len(captured), None, None),
        _row("check_many 1,000 pairs, qualified", qualified, None, None),
        _row(
            "compliance_summary all people by department, ms",
            round(summary, 1),
            "<= 1000 ms",
            summary <= 1000,
        ),
    ]


def _row(metric, value, target, met) -> dict:
    return {"benchmark": NAME, "metric": metric, "value": value, "target": target or "", "met": met}


def run(*, rebuild: bool = False) -> list[dict]:
    """Build the plant if needed and return the measured rows."""
    vendor = _django.setup(NAME, migrate=False)
    if rebuild and vendor == "sqlite":
        _reset_sqlite()
        vendor = _django.setup(NAME, migrate=False)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if not _ready():
        from qualify.org.models import Person

        if Person.objects.exists():
            raise SystemExit(
                "The bench database holds other data; run with --rebuild (SQLite) or drop it."
            )
        build()
    _store_baselines()  # no-op once stored
    rows = measure()
    for row in rows:
        row["database"] = vendor
    return rows


def _reset_sqlite() -> None:
    from django.db import connection

    path = connection.settings_dict["NAME"]
    connection.close()
    import pathlib

    pathlib.Path(str(path)).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = run(rebuild=args.rebuild)
    if args.json:
        json.dump(rows, sys.stdout)
        return
    for row in rows:
        target = f"  (target {row['target']})" if row["target"] else ""
        print(f"{row['metric']}: {row['value']}{target}")


if __name__ == "__main__":
    main()
