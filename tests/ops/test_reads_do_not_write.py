"""P64: reads do not write to the change trail. A ping or an API read takes no lock of
the audit chain; the GxP records a request opens go to an access log of its own,
append-only and hash-chained apart from the change trail, in one batch per request."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from qualify.api.models import ApiToken
from qualify.audit import access
from qualify.audit.models import AccessEvent, AuditEvent
from tests.api.conftest import bearer, session
from tests.quality.plant import Plant

pytestmark = [pytest.mark.requirement("P64"), pytest.mark.django_db]


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa):
    return Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)


@pytest.fixture(autouse=True)
def _api_urls(settings):
    settings.ROOT_URLCONF = "tests.api.urls"
    settings.QUALIFY_API_RATE = "10000/min"


def _writes(queries) -> list[str]:
    words = ("insert", "update", "delete", "pg_advisory", "audit_event")
    return [q["sql"] for q in queries if any(w in q["sql"].lower() for w in words)]


@pytest.fixture
def token(db):
    from qualify.api.tokens import token_create

    return token_create(name="mes", scopes=["read"])


def test_a_ping_within_the_minute_writes_nothing_and_takes_no_chain_lock(token):
    _, raw = token
    client = bearer(raw)
    client.get("/api/v1/ping/")  # the first use of the minute notes the time
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/ping/").status_code == 200
    assert _writes(queries.captured_queries) == []


def test_the_first_use_of_a_minute_writes_the_token_row_only(token):
    row, raw = token
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=None)
    with CaptureQueriesContext(connection) as queries:
        bearer(raw).get("/api/v1/ping/")
    writes = _writes(queries.captured_queries)
    assert len(writes) == 1
    assert "api_apitoken" in writes[0]
    assert writes[0].lower().startswith("update")


def test_an_api_read_of_a_document_is_in_the_access_log_not_the_change_trail(plant, token):
    row, raw = token
    document = plant.document("SOP-100")
    events = AuditEvent.objects.count()
    response = bearer(raw).get("/api/v1/documents/SOP-100/")
    assert response.status_code == 200
    assert AuditEvent.objects.count() == events
    logged = AccessEvent.objects.get()
    assert (logged.object_type, logged.object_id) == ("documents.document", str(document.pk))
    assert logged.actor_id == row.user_id
    assert logged.request_id == response["X-Request-ID"]
    assert logged.data["source"] == "api"
    assert logged.data["path"] == "/api/v1/documents/SOP-100/"
    assert access.verify_access_log() == []


def test_a_refused_read_opens_nothing(plant, token):
    """A read that answers 404 showed nothing, so nothing goes to the access log (lists
    are logged since P141: tests/ops/test_list_access.py)."""
    _, raw = token
    plant.document("SOP-100")
    assert bearer(raw).get("/api/v1/documents/SOP-999/").status_code == 404
    assert not AccessEvent.objects.exists()


def _writes_access_log(sql: str) -> bool:
    # Django logs an executemany as "N times: INSERT ...".
    sql = sql.lower()
    return "insert into audit_access_event" in sql or sql.startswith("copy audit_access_event")


def test_what_one_request_opens_is_written_in_one_insert(plant, auditor):
    documents = [plant.document(f"SOP-{n}") for n in (1, 2, 3)]
    with access.collecting() as batch:
        for document in documents:
            access.note(document, user=auditor, path="/x/")
        assert not AccessEvent.objects.exists()  # nothing written before the flush
        with CaptureQueriesContext(connection) as queries:
            access.flush(batch)
    writes = [q for q in queries.captured_queries if _writes_access_log(q["sql"])]
    # One statement for the batch: INSERT run for each row, or on PostgreSQL a COPY.
    assert len(writes) == 1
    assert list(AccessEvent.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert access.verify_access_log() == []


def test_a_session_reader_of_a_document_page_is_logged(plant, auditor, settings):
    settings.ROOT_URLCONF = "qualify.urls"
    plant.document("SOP-100")
    response = session(auditor).get("/documents/SOP-100/")
    assert response.status_code == 200
    logged = AccessEvent.objects.get()
    assert logged.actor_id == auditor.pk
    assert logged.data["source"] == "web"


def test_the_access_log_is_append_only(plant, auditor):
    access.note(plant.document("SOP-100"), user=auditor)
    for sql in (
        "UPDATE audit_access_event SET object_id = '999'",
        "DELETE FROM audit_access_event",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    assert AccessEvent.objects.count() == 1


def test_a_forged_access_row_is_named_by_verification(plant, auditor):
    document = plant.document("SOP-100")
    access.note(document, user=auditor)
    access.note(document, user=auditor)
    # A row inserted in SQL with a made-up chain hash and MAC (inserting is allowed).
    first = AccessEvent.objects.get(seq=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_access_event (seq, recorded_at, actor_id, object_type,"
            " object_id, request_id, entry, chain_hash, mac)"
            " SELECT 3, recorded_at, actor_id, object_type, object_id, request_id, entry,"
            " chain_hash, mac FROM audit_access_event WHERE seq = 1"
        )
    assert first.seq == 1
    problems = access.verify_access_log()
    assert [p.seq for p in problems] == [3]


def test_the_token_row_is_not_written_again_by_a_process_that_saw_an_old_time(token):
    from qualify.api.tokens import token_used

    row, _ = token
    stale = row.__class__.objects.get(pk=row.pk)
    stale.last_used_at = None
    fresh = row.__class__.objects.get(pk=row.pk)
    fresh.last_used_at = None
    assert token_used(fresh) is True
    assert token_used(stale) is False  # the other process's conditional update finds it fresh
    ApiToken.objects.filter(pk=row.pk).update(
        last_used_at=fresh.last_used_at - dt.timedelta(minutes=2)
    )
    assert token_used(row.__class__.objects.get(pk=row.pk)) is True


def test_the_command_line_checks_the_access_log(plant, auditor):
    from io import StringIO

    from django.core.management import CommandError, call_command

    access.note(plant.document("SOP-100"), user=auditor)
    out = StringIO()
    call_command("audit", "access-verify", stdout=out)
    assert "access log intact: 1 openings" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_access_event (seq, recorded_at, actor_id, object_type,"
            " object_id, request_id, entry, chain_hash, mac)"
            " SELECT 2, recorded_at, actor_id, object_type, object_id, request_id, entry,"
            " chain_hash, mac FROM audit_access_event WHERE seq = 1"
        )
    with pytest.raises(CommandError, match="access log NOT intact"):
        call_command("audit", "access-verify", stdout=StringIO())
