"""`qualify audit export`: the trail as an inspector reads it (A1; UTC ISO 8601 times)."""

import csv
import datetime as dt
import hashlib
import json

import pytest
from django.db import transaction

from qualify.accounts.services import user_create
from qualify.audit import services as audit
from qualify.audit.models import AuditEvent
from tests.audit.helpers import run_audit

pytestmark = pytest.mark.requirement("A1")

T0 = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def history(db, admin, time_machine):
    time_machine.move_to(T0, tick=False)
    user = user_create(actor=None, username="lena", printed_name="Lena Berg", password=None)
    time_machine.move_to(T0 + dt.timedelta(days=1), tick=False)
    with transaction.atomic():
        before = audit.state_of(user)
        user.printed_name = "Lena Berg-Holm"
        user.save(update_fields=["printed_name"])
        audit.record("account.updated", user, actor=admin, before=before, reason="Marriage")
    time_machine.move_to(T0 + dt.timedelta(days=2), tick=False)
    return user


def test_csv_export_shows_utc_times_changes_reason_and_who(history, admin, tmp_path):
    out = tmp_path / "trail.csv"
    error, _ = run_audit(
        "export", "--format", "csv", "--object", f"accounts.user:{history.pk}", "--out", str(out)
    )
    assert error is None
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["action"] for row in rows] == ["account.created", "account.updated"]
    update = rows[1]
    assert update["recorded_at"] == "2026-03-03T08:30:00.000000Z"
    assert json.loads(update["changes"]) == {"printed_name": ["Lena Berg", "Lena Berg-Holm"]}
    assert update["reason"] == "Marriage"
    assert (update["actor_username"], update["actor_name"]) == ("admin", admin.printed_name)
    assert rows[0]["actor_name"] == "Qualify system"


def test_jsonl_export_is_limited_to_a_half_open_time_window(history):
    error, output = run_audit(
        "export", "--format", "jsonl", "--from", "2026-03-03", "--to", "2026-03-03T08:30:00.000001Z"
    )
    assert error is None
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["action"] for line in lines] == ["account.updated"]
    assert lines[0]["recorded_at"] == "2026-03-03T08:30:00.000000Z"
    error, output = run_audit("export", "--format", "jsonl", "--to", "2026-03-02T08:30:00Z")
    assert output == ""


def test_export_is_itself_audited_with_the_hash_of_what_was_exported(history, tmp_path):
    out = tmp_path / "trail.jsonl"
    error, _ = run_audit("export", "--format", "jsonl", "--out", str(out))
    assert error is None
    event = AuditEvent.objects.latest("seq")
    assert event.action == "audit.exported"
    detail = event.data["detail"]
    assert detail["rows"] == event.seq - 1
    assert detail["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert event.request_id  # the CLI opened its own request context


def test_object_must_be_type_and_id(history):
    error, _ = run_audit("export", "--format", "csv", "--object", "accounts.user")
    assert error is not None
    assert "TYPE:ID" in str(error)
