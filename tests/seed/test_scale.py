"""The scale data set builder (qualify seed --scale medium|large), at a tiny size."""

import dataclasses
import os

import pytest
from django.core.management import call_command
from django.db import transaction

from qualify.audit.models import AuditEvent
from qualify.audit.verify import verify_trail
from qualify.seed import scale
from qualify.signatures.models import Signature
from qualify.signatures.services import content_hash
from qualify.training.models import Assignment, MatrixEntry, RequalificationOrder, TrainingRecord

TINY = scale.Scale(
    "tiny",
    people=40,
    documents=12,
    records_per_person=3,
    departments=3,
    job_functions=4,
    requirements_per_function=6,
    requalification_every=10,
)

pytestmark = pytest.mark.django_db


def fingerprint() -> tuple:
    """The data set without row ids (ids differ between databases, not between loads)."""
    records = sorted(
        TrainingRecord.objects.values_list(
            "person__employee_number",
            "requirement__code",
            "document_version__revision",
            "completed_at",
        )
    )
    held = sorted(
        MatrixEntry.objects.values_list("job_function__code", "requirement__code", "valid_from")
    )
    assignments = sorted(
        Assignment.objects.values_list("person__employee_number", "requirement__code", "due_at")
    )
    return records, held, assignments


class _Rollback(Exception):
    def __init__(self, value):
        self.value = value


def built_fingerprint(seed: int) -> tuple:
    try:
        with transaction.atomic():
            scale.build(TINY, seed=seed)
            raise _Rollback(fingerprint())
    except _Rollback as done:
        return done.value


@pytest.mark.requirement("P14")
def test_the_same_seed_builds_the_same_data_set_and_another_seed_does_not():
    first = built_fingerprint(7)
    assert first == built_fingerprint(7)
    assert first != built_fingerprint(8)
    assert len(first[0]) == TINY.people * TINY.records_per_person


@pytest.mark.requirement("P14")
@pytest.mark.requirement("A4")
def test_every_bulk_row_has_its_audit_event_and_the_trail_verifies():
    built = scale.build(TINY, seed=3)
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]
    assert AuditEvent.objects.filter(action="seed.row.loaded").count() == built.events
    assert report.records_checked >= built.events
    assert RequalificationOrder.objects.count() == built.counts["requalification orders"]


@pytest.mark.requirement("S1")
@pytest.mark.requirement("P14")
def test_each_record_carries_the_trainees_signature_hashed_from_the_stored_row():
    scale.build(TINY, seed=3)
    records = TrainingRecord.objects.select_related("person")
    signatures = {s.object_id: s for s in Signature.objects.all()}
    assert len(signatures) == records.count()
    for record in records:
        signature = signatures[str(record.pk)]
        assert signature.signer_id == record.person.user_id
        assert signature.meaning == "read_and_understood"
        assert signature.content_hash == content_hash(record)


@pytest.mark.requirement("Q4")
def test_qualify_qualified_answers_on_the_scale_data(capsys):
    scale.build(TINY, seed=3)
    record = (
        TrainingRecord.objects.select_related("person", "requirement__document")
        .exclude(
            pk__in=[
                r.pk
                for r in TrainingRecord.objects.all()
                if RequalificationOrder.objects.filter(
                    person_id=r.person_id, requirement_id=r.requirement_id
                ).exists()
            ]
        )
        .order_by("pk")
        .first()
    )
    at = scale.AT.isoformat()
    # Trained on the document (on its current baseline or one that still holds): the
    # answer names the version effective at AT; exit 0 when qualified, 1 when not.
    try:
        call_command(
            "qualified",
            record.person.employee_number,
            record.requirement.document.number,
            "--at",
            at,
        )
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert record.requirement.document.number in out
    never = TrainingRecord.objects.exclude(person=record.person).values_list(
        "requirement__document__number", flat=True
    )
    trained = set(
        TrainingRecord.objects.filter(person=record.person).values_list(
            "requirement__document__number", flat=True
        )
    )
    untrained = next(n for n in never if n not in trained)
    with pytest.raises(SystemExit) as exc:
        call_command("qualified", record.person.employee_number, untrained, "--at", at)
    assert exc.value.code == 1


def test_large_is_several_million_records():
    large = scale.SCALES["large"]
    assert (large.people, large.documents) == (50_000, 10_000)
    assert large.people * large.records_per_person >= 2_000_000
    medium = dataclasses.asdict(scale.SCALES["medium"])
    assert (medium["people"], medium["documents"]) == (10_000, 2_000)


@pytest.mark.requirement("P183")
def test_a_built_data_set_leaves_postgresql_with_statistics_of_its_tables():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps no planner statistics unless asked; its plans assume none")
    scale.build(TINY, seed=5)
    with connection.cursor() as cursor:
        # ANALYZE writes pg_class.reltuples in the transaction; never analyzed is -1.
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [TrainingRecord._meta.db_table],
        )
        assert cursor.fetchone()[0] == TINY.people * TINY.records_per_person


# Built outside a transaction, as `qualify seed` builds: a test's own transaction would
# leave only ANALYZE possible.
BUILD_TINY = """
import django, sys
django.setup()
from qualify.seed import scale
sys.path.insert(0, sys.argv[1])
from tests.seed.test_scale import TINY
scale.build(TINY, seed=5)
"""


@pytest.mark.requirement("P208")
@pytest.mark.postgres_only
def test_a_built_data_set_leaves_the_text_search_indexes_merged_by_a_vacuum(
    tmp_path, migrated_template
):
    import subprocess
    import sys
    from pathlib import Path

    import psycopg

    from qualify.org.models import Person
    from tests.plugins.migrated_template import pg_copy_for_processes, pg_server

    if migrated_template.vendor != "postgresql":
        pytest.skip("SQLite has no vacuum and no text search indexes")
    name = f"qualify_vacuum_{os.getpid()}"
    with pg_copy_for_processes(migrated_template, name, tmp_path) as env:
        env["DJANGO_SETTINGS_MODULE"] = "qualify.settings"
        repo = str(Path(__file__).resolve().parents[2])
        subprocess.run([sys.executable, "-c", BUILD_TINY, repo], env=env, check=True)
        with psycopg.connect(dbname=name, **pg_server()) as conn:
            vacuumed = conn.execute(
                "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL"
                " FROM pg_stat_user_tables WHERE relname = %s",
                [Person._meta.db_table],
            ).fetchone()
    assert vacuumed == (True, True)
