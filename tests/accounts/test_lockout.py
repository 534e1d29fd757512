"""U1: after 5 failed attempts (configurable) the account locks, the event is
audited and administrators are alerted; an administrator unlocks with a reason."""

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.accounts.services import user_unlock
from qualify.audit.verify import verify_trail
from tests.accounts.helpers import events
from tests.personas import PASSWORD

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.requirement("U1"),
]


def log_in(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def test_the_account_locks_at_the_fifth_failed_login(settings, employee, fail_logins):
    assert settings.QUALIFY_LOCKOUT_THRESHOLD == 5
    fail_logins(employee, 4)
    assert not employee.is_locked
    fail_logins(employee)
    assert employee.is_locked
    assert employee.failed_login_count == 5


def test_the_threshold_is_configurable(settings, employee, fail_logins):
    settings.QUALIFY_LOCKOUT_THRESHOLD = 3
    fail_logins(employee, 3)
    assert employee.is_locked


def test_each_failed_login_and_the_lock_are_audited(employee, fail_logins):
    fail_logins(employee, 5)
    failed = events("account.login.failed", employee)
    assert [e.data["detail"]["attempt"] for e in failed] == [1, 2, 3, 4, 5]
    [locked] = events("account.locked", employee)
    assert locked.reason == "5 failed attempts (login)"
    assert locked.changes["locked_at"][0] is None
    assert locked.changes["locked_at"][1] is not None
    assert locked.seq > failed[-1].seq


def test_a_locked_user_cannot_log_in_even_with_the_right_password(client, employee, fail_logins):
    fail_logins(employee, 5)
    assert authenticate(None, username="employee", password=PASSWORD) is None
    response = log_in(client, "employee", PASSWORD)
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert "_auth_user_id" not in client.session


def test_failed_logins_on_the_login_page_lock_the_account(client, employee):
    for _ in range(5):
        response = log_in(client, "employee", "not the password!")
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
    employee.refresh_from_db()
    assert employee.is_locked
    assert not log_in(client, "employee", PASSWORD).context["user"].is_authenticated


def test_administrators_are_emailed_only_after_the_lock_commits(
    admin, employee, fail_logins, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        fail_logins(employee, 5)
        assert mail.outbox == []  # the lock's transaction has not committed yet
    assert len(callbacks) == 1
    [message] = mail.outbox
    assert message.to == [admin.email]
    assert "employee" in message.subject
    assert "locked" in message.body


def test_only_the_locking_attempt_alerts(
    admin, employee, fail_logins, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fail_logins(employee, 4)
    assert mail.outbox == []


def test_a_successful_login_ends_the_run_of_failures(employee, fail_logins):
    fail_logins(employee, 4)
    assert authenticate(None, username="employee", password=PASSWORD) == employee
    employee.refresh_from_db()
    assert employee.failed_login_count == 0
    fail_logins(employee, 4)
    assert not employee.is_locked
    assert len(events("account.login.succeeded", employee)) == 1


def test_an_unknown_user_id_is_refused_without_a_trace_on_any_account(client, employee):
    response = log_in(client, "nobody", PASSWORD)
    assert not response.context["user"].is_authenticated
    employee.refresh_from_db()
    assert employee.failed_login_count == 0


def test_an_administrator_unlocks_with_a_reason_and_it_is_audited(admin, employee, fail_logins):
    fail_logins(employee, 5)
    user_unlock(actor=admin, user=employee, reason="Called the person; they mistyped")
    assert not employee.is_locked
    assert employee.failed_login_count == 0
    assert authenticate(None, username="employee", password=PASSWORD) == employee
    [unlocked] = events("account.unlocked", employee)
    assert unlocked.actor_username == "admin"
    assert unlocked.reason == "Called the person; they mistyped"
    assert unlocked.changes["locked_at"][1] is None


def test_unlocking_reads_the_stored_lock_not_a_stale_copy(admin, employee, fail_logins):
    stale = type(employee).objects.get(pk=employee.pk)
    fail_logins(employee, 5)
    assert not stale.is_locked  # loaded before the lock
    user_unlock(actor=admin, user=stale, reason="Verified by phone")
    employee.refresh_from_db()
    assert not employee.is_locked


def test_only_an_administrator_unlocks(qa, employee, fail_logins):
    fail_logins(employee, 5)
    with pytest.raises(PermissionDenied):
        user_unlock(actor=qa, user=employee, reason="I know them")
    employee.refresh_from_db()
    assert employee.is_locked


def test_an_account_that_is_not_locked_cannot_be_unlocked(admin, employee):
    with pytest.raises(ValidationError) as refused:
        user_unlock(actor=admin, user=employee, reason="Just in case")
    assert "user" in refused.value.message_dict
    assert events("account.unlocked", employee) == []


def test_locking_ends_the_open_sessions_of_the_account(client, employee, fail_logins):
    assert log_in(client, "employee", PASSWORD).status_code == 302
    assert client.get("/accounts/login/").context["user"].is_authenticated
    fail_logins(employee, 5)
    assert not client.get("/accounts/login/").context["user"].is_authenticated


def test_a_login_with_an_unknown_user_id_is_audited_and_the_trail_still_verifies(client):
    log_in(client, "nobody", PASSWORD)
    (event,) = events("account.login.refused")
    assert event.object_id == "unknown"
    assert event.data["detail"] == {"attempted_user_id": "nobody", "why": "unknown user id"}
    assert verify_trail().ok


def test_a_login_to_a_locked_account_is_audited_without_counting_again(
    client, employee, fail_logins
):
    fail_logins(employee, 5)
    employee.refresh_from_db()
    count = employee.failed_login_count
    log_in(client, employee.username, PASSWORD)
    employee.refresh_from_db()
    assert employee.failed_login_count == count
    assert len(events("account.login.refused", employee)) == 1
