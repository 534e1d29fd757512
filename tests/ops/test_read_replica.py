"""P140: read-only reports may read from a read replica through a database router;
every write, every read inside a transaction, the audit trail and signatures stay on
the primary; without a replica nothing changes.

The replica here lags in a way the test controls, which is what makes the routing
visible; it is not a streaming replica:

* SQLite: a second file, a copy of the primary taken when the fixture runs (the test's
  own rows included), so a row the test adds afterwards is only on the primary;
* PostgreSQL: a second connection to the test's database, read-only as a standby is,
  which sees only committed rows; the test's rows live in its open transaction, so
  every row the test adds is only on the primary.
"""

import copy
import io
import re
import sqlite3

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from qualify import replica
from qualify.audit.models import AuditEvent
from qualify.audit.verify import verify_trail
from qualify.reports import services
from tests.quality.plant import Plant

pytestmark = [pytest.mark.requirement("P140"), pytest.mark.django_db]


def _copy_sqlite(target: str) -> dict:
    """Schema and rows as the primary's connection sees them now (the test's own
    transaction included; SQLite's backup would wait for that transaction to end)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            " AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC, type = 'index' DESC"
        )
        schema = cursor.fetchall()
        tables = [name for kind, name, _ in schema if kind == "table"]
        rows = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            rows[table] = cursor.fetchall()
    with sqlite3.connect(target) as copy_to:
        for _, _, sql in schema:
            copy_to.execute(sql)
        for table, values in rows.items():
            if values:
                marks = ", ".join("?" * len(values[0]))
                copy_to.executemany(f'INSERT INTO "{table}" VALUES ({marks})', values)
    conf = copy.deepcopy(connections.settings["default"])
    conf["NAME"] = target
    return conf


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa):
    plant = Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)
    plant.person("Ann Before-the-copy", job_function=plant.operators)
    return plant


@pytest.fixture
def with_replica(plant, tmp_path):
    """The "replica" alias: what the primary held when the fixture ran (SQLite) or
    what it has committed (PostgreSQL)."""
    if connection.vendor == "postgresql":
        conf = copy.deepcopy(connections.settings["default"])
        conf["OPTIONS"] = {**conf["OPTIONS"], "options": "-c default_transaction_read_only=on"}
    else:
        conf = _copy_sqlite(str(tmp_path / "replica.sqlite3"))
    connections.settings[replica.REPLICA] = conf
    # Opened here, since the test case refuses to open a database it was not told of.
    connections[replica.REPLICA].connect()
    try:
        yield connections[replica.REPLICA]
    finally:
        connections[replica.REPLICA].close()
        del connections[replica.REPLICA]
        del connections.settings[replica.REPLICA]


def _compliance_csv(user) -> str:
    request = services.report_request("compliance", {"by": "site"}, user=user)
    sink = io.BytesIO()
    services.report_export(actor=user, request=request, fmt="csv", sink=sink)
    return sink.getvalue().decode("utf-8")


def test_a_report_reads_its_rows_from_the_replica_and_its_audit_event_goes_to_the_primary(
    plant, with_replica, auditor
):
    """A report's rows come from the replica (a person added to the primary after the
    copy is not in it); its audit event is written to the primary only; nothing is
    written to the replica, and the replica is never asked for audit events,
    signatures or accounts."""
    plant.person("Bob After-the-copy", job_function=plant.operators)
    events_on_primary = AuditEvent.objects.count()
    events_on_replica = AuditEvent.objects.using(replica.REPLICA).count()

    with CaptureQueriesContext(with_replica) as on_replica:
        text = _compliance_csv(auditor)

    from qualify.org.models import Person

    people_on_replica = Person.objects.using(replica.REPLICA)
    on_replica_names = set(people_on_replica.values_list("full_name", flat=True))
    assert ("Ann Before-the-copy" in text) == ("Ann Before-the-copy" in on_replica_names)
    assert "Bob After-the-copy" not in on_replica_names
    assert "Bob After-the-copy" not in text
    assert on_replica.captured_queries, "the report asked the replica nothing"
    asked = [q["sql"].lower() for q in on_replica.captured_queries]
    # Only reads: SELECT, or a server-side cursor over one (PostgreSQL's iterator()).
    reads = [s for s in asked if s.startswith("select") or re.match(r"declare .* for select ", s)]
    assert reads == asked
    for primary_only in ("audit_", "signatures_", "accounts_", "auth_"):
        assert not [sql for sql in asked if f'"{primary_only}' in sql or f" {primary_only}" in sql]
    written = AuditEvent.objects.filter(seq__gt=events_on_primary)
    assert "report.exported" in set(written.values_list("action", flat=True))
    assert AuditEvent.objects.using(replica.REPLICA).count() == events_on_replica
    assert verify_trail().ok


def test_inside_a_transaction_a_report_reads_the_primary(plant, with_replica, auditor):
    """A read inside a transaction sees the primary, never a replica lagging behind it."""
    plant.person("Bob After-the-copy", job_function=plant.operators)
    with transaction.atomic():
        text = _compliance_csv(auditor)
    assert "Bob After-the-copy" in text


def test_reads_outside_reports_and_every_write_use_the_primary(plant, with_replica, auditor):
    """Reads outside a report, the audit trail even inside one, and every write (a
    service run inside a report's block included) go to the primary."""
    from qualify.org.models import Person

    late = plant.person("Bob After-the-copy", job_function=plant.operators)
    with CaptureQueriesContext(with_replica) as on_replica:
        assert Person.objects.filter(pk=late.pk).exists()
        with replica.report_reads():
            assert AuditEvent.objects.filter(object_id=str(late.pk)).exists()
            written = plant.person("Cy Written-in-a-report", job_function=plant.operators)
    assert on_replica.captured_queries == []
    assert Person.objects.filter(pk=written.pk).exists()
    on_replica_rows = Person.objects.using(replica.REPLICA)
    assert not on_replica_rows.filter(pk__in=[late.pk, written.pk]).exists()


def test_without_a_replica_reports_read_the_primary(plant, auditor):
    """With QUALIFY_REPLICA_DATABASE_URL unset there is no replica alias and a report
    sees every row of the primary."""
    assert not replica.configured()
    plant.person("Bob After", job_function=plant.operators)
    assert "Bob After" in _compliance_csv(auditor)
