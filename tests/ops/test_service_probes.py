"""P67: run it like a service. /healthz answers while the process lives; /readyz only
when the database answers, every migration is applied and the site key is present;
/metrics in Prometheus format with the task queue, the audit chain and the last
checkpoint; JSON log lines carry the request id the audit events carry."""

import io
import json
import logging

import pytest
from django.core.management import call_command

from qualify.audit import services as audit
from qualify.audit.models import AuditEvent
from qualify.logs import JsonFormatter

pytestmark = [pytest.mark.requirement("P67"), pytest.mark.django_db]


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_readyz_is_ready_with_database_migrations_and_key(client, admin):
    audit.record("account.created", admin, actor=None)  # the first event makes the key
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready"}


def test_readyz_names_a_missing_key(client, settings, tmp_path):
    settings.QUALIFY_SIGNING_KEY = tmp_path / "nowhere" / "key.pem"
    response = client.get("/readyz")
    assert response.status_code == 503
    (problem,) = response.json()["problems"]
    assert problem.startswith("keys: the site key")


def test_readyz_names_unapplied_migrations(client, admin, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.migration import Migration

    audit.record("account.created", admin, actor=None)
    pending = Migration("0099_future", "audit")
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [(pending, False)]
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["migrations: 1 not applied (audit.0099_future)"]


def test_readyz_answers_503_when_the_database_is_away(client, monkeypatch):
    from django.db import OperationalError, connection

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"][0].startswith("database: OperationalError")


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in the metrics")


def test_metrics_give_requests_tasks_chain_length_and_checkpoint_age(client, admin):
    audit.record("account.created", admin, actor=None)
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert _metric(text, "qualify_audit_chain_length") == AuditEvent.objects.count()
    assert _metric(text, "qualify_audit_last_checkpoint_age_seconds") == -1
    assert 'qualify_task_queue_depth{status="READY"} 0.0' in text
    assert "django_http_requests_latency_seconds_by_view_method" in text
    call_command("audit", "checkpoint", stdout=io.StringIO())
    text = client.get("/metrics").content.decode()
    assert 0 <= _metric(text, "qualify_audit_last_checkpoint_age_seconds") < 60


def test_metrics_are_refused_off_the_loopback_without_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    settings.QUALIFY_METRICS_TOKEN = "s3cret-metrics"
    assert client.get("/metrics").status_code == 403  # with a token set, even loopback
    allowed = client.get(
        "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-metrics"
    )
    assert allowed.status_code == 200


def test_a_json_log_line_carries_the_request_id_of_the_audit_events(client, auditor):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.force_login(auditor)
        response = client.get("/documents/NO-SUCH-DOCUMENT/", HTTP_X_REQUEST_ID="req-1234-abcd")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == "req-1234-abcd" == response["X-Request-ID"]
    assert line["level"] == "WARNING"
    assert line["path"] == "/documents/NO-SUCH-DOCUMENT/"
    assert line["status"] == 404
