"""`qualify accounts`: the same services from the command line (U4, U3)."""

import io

import pytest
from django.core.management import CommandError, call_command

from qualify.accounts.models import User
from qualify.audit.models import AuditEvent
from tests.accounts.onboarding_support import make_person, make_site


def run(*args) -> str:
    out = io.StringIO()
    call_command("accounts", *args, stdout=out)
    return out.getvalue()


@pytest.mark.requirement("U4")
def test_the_command_creates_accounts_for_the_hr_feed_and_one_person(admin, coordinator):
    site = make_site(admin)
    make_person(coordinator, site, "E3001", "Ann One", "ann@plant.example")
    make_person(coordinator, site, "E3002", "Bob Two", "bob@plant.example")
    dry = run("onboard", "--as", admin.username, "--dry-run")
    assert "would create\tE3001\te3001" in dry
    assert not User.objects.filter(username="e3001").exists()
    assert "Created bob2" in run("create", "bob2", "--person", "E3002", "--as", admin.username)
    done = run("onboard", "--as", admin.username)
    assert "created\tE3001\te3001" in done
    assert "E3002" not in done  # already has a login
    assert User.objects.get(username="bob2").person.employee_number == "E3002"


@pytest.mark.requirement("U4", "A1")
def test_the_command_locks_with_a_reason_as_the_named_administrator(admin, employee):
    run("lock", employee.username, "--as", admin.username, "--reason", "Badge stolen")
    employee.refresh_from_db()
    assert employee.is_locked
    event = AuditEvent.objects.get(action="account.locked.by_administrator")
    assert event.actor_username == admin.username


@pytest.mark.requirement("U3")
def test_the_command_refuses_a_non_administrator_and_ones_own_account(admin, employee):
    with pytest.raises(CommandError, match="Only an administrator"):
        run("lock", admin.username, "--as", employee.username, "--reason", "x")
    with pytest.raises(CommandError, match="own account"):
        run("lock", admin.username, "--as", admin.username, "--reason", "x")
    with pytest.raises(CommandError, match="No account has the user id"):
        run("unlock", "ghost", "--as", admin.username, "--reason", "x")
