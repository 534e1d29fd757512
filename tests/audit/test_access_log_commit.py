"""P211: the access log's own transaction commits without waiting for the disk on
PostgreSQL, unless QUALIFY_ACCESS_LOG_WAIT_FOR_DISK is set; inside another transaction
(a note a service writes at once) it never changes how that transaction commits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualify.audit import access, keys

pytestmark = [pytest.mark.requirement("P211", "P141"), pytest.mark.django_db]


def test_only_a_transaction_of_its_own_skips_the_wait_unless_told_to_wait(settings):
    assert access.lock_statement(outermost=True) == access.LOCK_ASYNC
    assert access.lock_statement(outermost=False) == access.LOCK_DURABLE
    settings.QUALIFY_ACCESS_LOG_WAIT_FOR_DISK = True
    assert access.lock_statement(outermost=True) == access.LOCK_DURABLE
    assert "synchronous_commit" in access.LOCK_ASYNC
    assert "synchronous_commit" not in access.LOCK_DURABLE


@pytest.mark.postgres_only
def test_inside_another_transaction_the_commit_still_waits_for_the_disk():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no asynchronous commit; its writes take the one lock")
    keys.key_create()
    note = access.Access(
        at=timezone.now(),
        actor_id=None,
        actor_username="",
        source="test",
        request_id="r",
        object_type="org.person",
        object_id="1",
        path="/",
    )
    with CaptureQueriesContext(connection) as sent:
        access.append_access([note])
    assert any(q["sql"].startswith("SELECT pg_advisory_xact_lock") for q in sent)
    assert not any("synchronous_commit" in q["sql"] for q in sent)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
