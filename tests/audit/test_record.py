"""Writing audit events (A1) in the service's own transaction (P5)."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from qualify.accounts.models import User
from qualify.accounts.services import user_create
from qualify.audit import services as audit
from qualify.audit.context import audit_context
from qualify.audit.models import AuditEvent


def _rename(user: User, printed_name: str, *, reason: str = "", actor=None) -> int:
    """A service as services are written: change, save, record, in one transaction."""
    with transaction.atomic():
        before = audit.state_of(user)
        user.printed_name = printed_name
        user.save(update_fields=["printed_name"])
        return audit.record("account.updated", user, actor=actor, before=before, reason=reason)


def _rename_with_action(user: User, printed_name: str, action: str) -> int:
    with transaction.atomic():
        before = audit.state_of(user)
        user.printed_name = printed_name
        user.save(update_fields=["printed_name"])
        return audit.record(action, user, actor=None, before=before, reason="typo in action")


@pytest.fixture
def user(db):
    return user_create(actor=None, username="dana", printed_name="Dana Scully", password=None)


@pytest.mark.requirement("A1")
def test_creation_records_every_field_as_new_value_without_a_reason(user):
    event = AuditEvent.objects.get(action="account.created", object_id=str(user.pk))
    assert event.object_type == "accounts.user"
    assert event.changes["printed_name"] == [None, "Dana Scully"]
    assert event.changes["username"] == [None, "dana"]
    assert event.reason == ""


@pytest.mark.requirement("A1")
def test_update_records_old_and_new_value_of_each_changed_field_only(user, admin):
    seq = _rename(user, "Dana K. Scully", reason="Name as on passport", actor=admin)
    event = AuditEvent.objects.get(seq=seq)
    assert event.changes == {"printed_name": ["Dana Scully", "Dana K. Scully"]}
    assert event.reason == "Name as on passport"
    assert event.actor_id == admin.pk
    assert (event.actor_username, event.actor_name) == ("admin", admin.printed_name)
    assert event.record_hash == audit.record_hash_of(user)


@pytest.mark.requirement("A1")
def test_event_carries_server_time_in_utc_and_the_request_id(user):
    with audit_context(source="cli", request_id="req-0123456789") as ctx:
        seq = _rename(user, "Dana Scully-Mulder", reason="Marriage")
    event = AuditEvent.objects.get(seq=seq)
    assert event.request_id == ctx.request_id == event.data["request_id"]
    assert event.data["at"].endswith("Z")
    assert event.recorded_at.utcoffset().total_seconds() == 0


@pytest.mark.requirement("A1")
def test_change_to_an_existing_record_without_a_reason_is_refused(user):
    before_count = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        _rename(user, "Somebody Else", reason="   ")
    assert "reason" in refused.value.message_dict
    assert AuditEvent.objects.count() == before_count
    user.refresh_from_db()
    assert user.printed_name == "Dana Scully"


@pytest.mark.requirement("A1")
def test_unknown_action_is_refused(user):
    with pytest.raises(LookupError, match=r"account\.renamed"):
        audit.record("account.renamed", user, actor=None)


@pytest.mark.requirement("A1")
def test_entry_is_canonical_json_of_the_whole_event(user):
    event = AuditEvent.objects.get(action="account.created", object_id=str(user.pk))
    data = json.loads(event.entry)
    assert set(data) >= {"seq", "at", "actor_id", "actor_name", "action", "changes", "reason"}
    assert event.entry == json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


@pytest.mark.requirement("P5")
def test_error_after_the_event_is_written_rolls_back_record_and_event(db, monkeypatch):
    original = audit.append_events

    def append_then_fail(events, **kwargs):
        original(events, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "append_events", append_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        user_create(actor=None, username="eve", printed_name="Eve Moneypenny", password=None)
    assert not User.objects.filter(username="eve").exists()
    assert not AuditEvent.objects.filter(object_type="accounts.user").exists()


@pytest.mark.requirement("P5")
def test_refused_event_rolls_back_the_change_it_describes(db):
    user = user_create(actor=None, username="fox", printed_name="Fox Mulder", password=None)
    events = AuditEvent.objects.count()
    with pytest.raises(LookupError):
        _rename_with_action(user, "Spooky", "account.spooked")
    user.refresh_from_db()
    assert user.printed_name == "Fox Mulder"
    assert AuditEvent.objects.count() == events
