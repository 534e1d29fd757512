"""The audit tables refuse UPDATE and DELETE whoever asks (A2)."""

import pytest
from django.db import DatabaseError, transaction

from qualify.accounts.services import user_create
from qualify.audit.checkpoints import checkpoint_create
from qualify.audit.models import AuditEvent, Checkpoint
from tests.audit.helpers import IS_POSTGRES, execute

pytestmark = pytest.mark.requirement("A2")


@pytest.fixture
def event(db):
    user_create(actor=None, username="gina", printed_name="Gina Linetti", password=None)
    return AuditEvent.objects.latest("seq")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET action = 'account.deactivated' WHERE seq = %s",
        "UPDATE audit_event SET entry = entry || ' ' WHERE seq = %s",
        "DELETE FROM audit_event WHERE seq = %s",
    ],
    ids=["update-column", "update-entry", "delete"],
)
def test_raw_sql_cannot_change_or_delete_an_event(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql, [event.seq])
    assert AuditEvent.objects.get(seq=event.seq).entry == event.entry


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_checkpoint SET tree_size = tree_size + 1 WHERE id = %s",
        "DELETE FROM audit_checkpoint WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_raw_sql_cannot_change_or_delete_a_checkpoint(event, sql):
    checkpoint = checkpoint_create()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql, [checkpoint.pk])
    assert Checkpoint.objects.get(pk=checkpoint.pk).tree_size == checkpoint.tree_size


def test_orm_bulk_delete_of_events_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(seq=event.seq).exists()


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite has no TRUNCATE")
def test_truncate_is_refused_on_postgresql(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(f"TRUNCATE {AuditEvent._meta.db_table}")
    assert AuditEvent.objects.exists()
