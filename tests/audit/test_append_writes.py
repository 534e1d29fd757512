"""How an append reaches the database (issue 18): on PostgreSQL the rows of a trail
append or an access-log batch, however few, are written with COPY, which took less time
than an INSERT per row from one row up; elsewhere one INSERT runs for each row. Either
way it is one statement in Django's query log, the rows are those INSERT would write
(the chain verifies) and the append-only triggers still refuse changes."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from qualify.accounts.services import user_create
from qualify.audit import access
from qualify.audit.models import AccessEvent, AuditEvent
from qualify.audit.verify import verify_trail
from tests.quality.plant import Plant

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P192", "A1", "A2")]


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa):
    return Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)


WRITE = "COPY" if connection.vendor == "postgresql" else "INSERT INTO"


def _writes(queries, table: str) -> list[str]:
    # Django logs an executemany as "N times: INSERT ..." and a COPY as itself.
    return [
        q["sql"]
        for q in queries.captured_queries
        if f"INSERT INTO {table} " in q["sql"] or q["sql"].startswith(f"COPY {table} ")
    ]


def test_a_trail_append_of_one_event_is_one_logged_write_and_the_chain_verifies():
    with CaptureQueriesContext(connection) as queries:
        user = user_create(actor=None, username="dana", printed_name="Dana Scully", password=None)
    [write] = _writes(queries, "audit_event")
    assert WRITE in write
    event = AuditEvent.objects.get(action="account.created", object_id=str(user.pk))
    assert event.data["changes"]["username"] == [None, "dana"]
    assert verify_trail().ok


def test_an_access_batch_is_one_logged_write_and_the_access_log_verifies(plant, auditor):
    documents = [plant.document(f"SOP-{n}") for n in (1, 2, 3, 4)]
    with access.collecting() as batch:
        access.note_shown(documents, user=auditor, path="/documents/")
        with CaptureQueriesContext(connection) as queries:
            access.flush(batch)
    [write] = _writes(queries, "audit_access_event")
    assert WRITE in write
    logged = AccessEvent.objects.order_by("seq")
    assert [e.object_id for e in logged] == [str(d.pk) for d in documents]
    assert access.verify_access_log() == []


def test_rows_written_either_way_stay_append_only(plant, auditor):
    access.note(plant.document("SOP-9"), user=auditor)
    assert AccessEvent.objects.exists()
    assert AuditEvent.objects.exists()
    for sql in ("UPDATE audit_access_event SET object_id = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    assert access.verify_access_log() == []
