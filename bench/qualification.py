"""Qualification engine speed at medium scale (10,000 people, 2,000 documents).

    python -m bench.qualification [--rebuild] [--json]

Builds (once) the medium data set of `qualify seed --scale medium` (qualify.seed.scale,
seed 42: bulk_create with audit events) in var/bench/qualification.sqlite3 (or
BENCH_DATABASE_URL): 10,000 people with user accounts and job functions, 2,000
documents with two versions each (half the second versions editorial), one
read-and-understand requirement per document in the matrix, 8 signed records per
person (80,000 records and 80,000 signatures), some requalification orders and 20,000
assignments. Then measures, best-of / median as stated:

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
    """The medium data set of `qualify seed --scale medium`, seed 42 (qualify.seed.scale)."""
    from qualify.audit.context import audit_context
    from qualify.seed import scale

    assert (scale.SCALES["medium"].people, scale.SCALES["medium"].documents) == (PEOPLE, DOCUMENTS)
    assert scale.SCALES["medium"].records_per_person == RECORDS_PER_PERSON
    with audit_context(source="cli"):
        scale.build(scale.SCALES["medium"], seed=42, base=BASE)


def _store_baselines() -> None:
    from qualify.seed.scale import store_baselines

    store_baselines()


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
