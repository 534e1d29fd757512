"""A validation run stays as recorded (P90): the database refuses to change what was
recorded or signed, to change an approved run at all, and to delete a run, whoever
asks; only the PDF hash and QA's approval are added, once each. IQ-07 counts these
triggers with the audit trail's. Runs on SQLite and on PostgreSQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from qualify.accounts import roles
from qualify.validation import iq, services
from qualify.validation.immutability import STEP_COLUMNS, TABLE, guard_statements
from qualify.validation.models import RunStatus, ValidationRun
from tests.personas import make_user
from tests.validation.test_runs import creds, record

pytestmark = pytest.mark.django_db

IS_POSTGRES = connection.vendor == "postgresql"


def execute(sql, params=None):
    # params None: literal SQL (psycopg 3 reads RAISE's "%" as a placeholder otherwise).
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql, params=None):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql, params)


@pytest.fixture
def second_qa(db):
    return make_user("qa_two", roles.QA_APPROVER, printed_name="Quentin Second")


@pytest.mark.requirement("P90", "A2")
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET outcome = 'pass' WHERE id = %s",
        f"UPDATE {TABLE} SET oq_failed = 0 WHERE id = %s",
        f"UPDATE {TABLE} SET deviations = '[]' WHERE id = %s",
        f"UPDATE {TABLE} SET results_sha256 = 'e' WHERE id = %s",
        f"UPDATE {TABLE} SET version = '9.9.9' WHERE id = %s",
        f"UPDATE {TABLE} SET executed_by_id = NULL WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ],
    ids=["outcome", "count", "deviations", "results-hash", "version", "executor", "delete"],
)
def test_what_a_run_recorded_cannot_be_changed_or_deleted_by_sql(qa, sql):
    """Steps: QA records a failed run (signed 'validation executed'); raw SQL that
    turns it into a pass, clears a count or a deviation, changes its results hash,
    version or executor, or deletes it, is refused by the database; the run is as
    recorded."""
    run = record(qa, passed=False)
    refused(sql, [run.pk])
    kept = ValidationRun.objects.get(pk=run.pk)
    assert kept.outcome == "fail"
    assert kept.oq_failed == 1
    assert kept.deviations == ["OQ test failed: tests/x.py::test_y (Q4)"]
    assert kept.signed_content() == run.signed_content()


@pytest.mark.requirement("P90", "P63")
def test_an_approved_run_cannot_be_changed_at_all(qa, second_qa):
    """Steps: QA records a run, its PDF hash is noted, a second QA approver approves
    it (the two permitted steps succeed through the services); afterwards changing its
    approval, its comment, its PDF hash or its status back, by the ORM or by SQL, is
    refused; deleting it through the ORM is refused."""
    run = record(qa)
    run = services.validation_run_pack_signed(run=run, pdf_sha256="a" * 64)
    run = services.validation_run_approve(
        actor=second_qa, run=run, credentials=creds(second_qa), comment="Accepted"
    )
    assert run.status == RunStatus.APPROVED
    for sql in (
        f"UPDATE {TABLE} SET approval_comment = 'edited' WHERE id = %s",
        f"UPDATE {TABLE} SET approved_by_id = executed_by_id WHERE id = %s",
        f"UPDATE {TABLE} SET pdf_sha256 = 'b' WHERE id = %s",
        f"UPDATE {TABLE} SET status = 'executed', approved_by_id = NULL, "
        "approved_at = NULL WHERE id = %s",
    ):
        refused(sql, [run.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ValidationRun.objects.filter(pk=run.pk).update(approval_comment="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ValidationRun.objects.filter(pk=run.pk).delete()
    kept = ValidationRun.objects.get(pk=run.pk)
    assert (kept.status, kept.approved_by, kept.approval_comment, kept.pdf_sha256) == (
        RunStatus.APPROVED,
        second_qa,
        "Accepted",
        "a" * 64,
    )


@pytest.mark.requirement("P90", "P63", "S2")
def test_the_database_refuses_the_steps_the_services_refuse(qa):
    """The permitted steps are narrow in the database too: the PDF hash is noted once,
    never overwritten; a failed run, an unsigned run, or a run approved by its own
    executor cannot be set approved by SQL."""
    run = record(qa)
    services.validation_run_pack_signed(run=run, pdf_sha256="a" * 64)
    refused(f"UPDATE {TABLE} SET pdf_sha256 = 'b' WHERE id = %s", [run.pk])
    approve = (
        f"UPDATE {TABLE} SET status = 'approved', approved_by_id = %s, "
        "approved_at = CURRENT_TIMESTAMP WHERE id = %s"
    )
    other = make_user("qa_three", roles.QA_APPROVER)
    refused(approve, [qa.pk, run.pk])  # by its executor
    failed = record(qa, passed=False)
    refused(approve, [other.pk, failed.pk])
    unsigned = record(None)
    refused(approve, [other.pk, unsigned.pk])
    execute(approve, [other.pk, run.pk])  # the one permitted approval
    assert ValidationRun.objects.get(pk=run.pk).status == RunStatus.APPROVED


@pytest.mark.requirement("P90")
@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite has no TRUNCATE")
def test_truncate_of_the_runs_is_refused_on_postgresql(qa):
    record(qa)
    # The run's deferred foreign-key checks would refuse the TRUNCATE first.
    execute("SET CONSTRAINTS ALL IMMEDIATE")
    refused(f"TRUNCATE {TABLE} CASCADE")
    assert ValidationRun.objects.exists()


@pytest.mark.requirement("P90", "P60", "A2")
def test_iq_07_fails_when_a_run_trigger_is_dropped(qa):
    """Steps: IQ-07 passes on the installed schema and names the validation runs among
    the guarded tables; after the runs' triggers are dropped it fails naming them."""
    (check,) = iq.check_triggers()
    assert check.ok, check.found
    columns = [f.column for f in ValidationRun._meta.concrete_fields]
    try:
        for sql in guard_statements(connection.vendor, columns, drop=True):
            execute(sql)
        (check,) = iq.check_triggers()
        assert not check.ok
        assert f"{TABLE}." in check.found
    finally:
        for sql in guard_statements(connection.vendor, columns):
            execute(sql)
    (check,) = iq.check_triggers()
    assert check.ok, check.found


@pytest.mark.requirement("P90")
@pytest.mark.skipif(IS_POSTGRES, reason="PostgreSQL compares the whole row as JSONB")
def test_the_sqlite_guard_covers_every_column_of_the_model():
    """SQLite's trigger names the columns it keeps: each column of the model is either
    kept unchanged or written by one of the two permitted steps, so a column added by a
    later migration without re-installing the guard fails here."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [f"{TABLE}_no_update"],
        )
        (sql,) = cursor.fetchone()
    for field in ValidationRun._meta.concrete_fields:
        if field.column not in STEP_COLUMNS:
            assert f'NEW."{field.column}" IS OLD."{field.column}"' in sql, field.column


@pytest.mark.requirement("P120", "P90", "A6")
def test_audit_verify_fails_when_a_run_trigger_is_dropped(qa):
    """`qualify audit verify` checks the validation runs' append-only triggers as it
    checks the trail's. Steps: with the run recorded, verify passes; after one of the
    runs' triggers is dropped it fails, naming the runs' table and the trigger; with
    the guard back it passes again."""
    from tests.audit.helpers import run_audit

    record(qa)
    error, _ = run_audit("verify")
    assert error is None
    columns = [f.column for f in ValidationRun._meta.concrete_fields]
    dropped = guard_statements(connection.vendor, columns, drop=True)[0]
    try:
        execute(dropped)
        error, printed = run_audit("verify")
        assert error is not None
        assert error.returncode == 1
        trigger = dropped.split()[4]  # DROP TRIGGER IF EXISTS <name> ...
        assert f"table {TABLE}: append-only trigger {trigger} is missing or disabled" in printed
    finally:
        for sql in guard_statements(connection.vendor, columns, drop=True):
            execute(sql)
        for sql in guard_statements(connection.vendor, columns):
            execute(sql)
    error, _ = run_audit("verify")
    assert error is None


@pytest.mark.requirement("P120", "A6")
@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite triggers cannot be disabled")
def test_audit_verify_fails_when_a_run_trigger_is_disabled(qa):
    """A disabled trigger guards nothing: after `ALTER TABLE ... DISABLE TRIGGER` on the
    validation runs, `qualify audit verify` fails naming it."""
    from tests.audit.helpers import run_audit

    record(qa)
    # The run's deferred foreign-key checks would refuse the ALTER TABLE first.
    execute("SET CONSTRAINTS ALL IMMEDIATE")
    execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_no_change")
    try:
        error, printed = run_audit("verify")
        assert error is not None
        assert f"append-only trigger {TABLE}_no_change is missing or disabled" in printed
    finally:
        execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_no_change")
