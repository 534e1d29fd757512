"""Accounts for people and one-time set-password links (U1, U3, U4, A1, A5)."""

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.accounts import links
from qualify.accounts import services as accounts
from qualify.accounts.models import User
from qualify.org import onboarding
from qualify.org.models import Person
from tests.accounts.helpers import events
from tests.accounts.onboarding_support import (
    OTHER,
    STRONG,
    THIRD,
    last_link,
    make_person,
    make_site,
    uid_token,
)


@pytest.fixture
def site(admin):
    return make_site(admin)


@pytest.fixture
def jane(coordinator, site):
    return make_person(coordinator, site, "E1001", "Jane Roe", "jane.roe@plant.example")


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run what the services queue after commit (the mail), as a real commit would."""

    def _run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return _run


@pytest.mark.requirement("U4", "A1")
def test_an_account_for_a_person_is_linked_and_mailed_a_one_time_link(admin, jane, sent):
    user = sent(onboarding.account_create, actor=admin, username="jroe", person=jane)
    jane.refresh_from_db()
    assert jane.user == user
    assert (user.printed_name, user.email) == ("Jane Roe", "jane.roe@plant.example")
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["employee"]
    assert [m.to for m in mail.outbox] == [["jane.roe@plant.example"]]
    assert "jroe" in mail.outbox[0].body
    _uid, token = uid_token(last_link("jane.roe@plant.example"))
    assert links.link_problem(user, token) is None
    [linked] = [e for e in events("account.person.linked") if e.object_id == str(jane.pk)]
    assert linked.actor_username == admin.username
    assert "jroe" in linked.reason
    assert events("account.created", user)
    assert events("account.password.link_sent", user)


@pytest.mark.requirement("U4")
def test_only_an_administrator_creates_accounts(coordinator, jane):
    with pytest.raises(PermissionDenied):
        onboarding.account_create(actor=coordinator, username="jroe", person=jane)
    assert not User.objects.filter(username="jroe").exists()


@pytest.mark.requirement("U1")
def test_a_user_id_is_refused_when_it_exists_in_other_capitals(admin, jane, employee):
    with pytest.raises(ValidationError) as refused:
        onboarding.account_create(actor=admin, username="EMPLOYEE", person=jane)
    assert "username" in refused.value.message_dict
    jane.refresh_from_db()
    assert jane.user is None


@pytest.mark.requirement("U1")
def test_a_person_is_linked_to_at_most_one_login(admin, jane, sent):
    sent(onboarding.account_create, actor=admin, username="jroe", person=jane)
    with pytest.raises(ValidationError) as refused:
        onboarding.account_create(actor=admin, username="jroe2", person=jane)
    assert "already has the login jroe" in refused.value.message_dict["person"][0]
    assert not User.objects.filter(username="jroe2").exists()


@pytest.mark.requirement("U4")
def test_an_account_needs_an_email_address_for_its_link(admin, coordinator, site):
    nomail = make_person(coordinator, site, "E1002", "No Mail")
    with pytest.raises(ValidationError) as refused:
        onboarding.account_create(actor=admin, username="nomail", person=nomail)
    assert "email" in refused.value.message_dict
    assert not User.objects.filter(username="nomail").exists()


@pytest.mark.requirement("U3", "A5")
def test_an_account_is_not_created_with_the_administrator_and_a_signing_role(admin, jane):
    with pytest.raises(ValidationError) as refused:
        onboarding.account_create(
            actor=admin, username="jroe", person=jane, roles=["administrator", "qa_approver"]
        )
    assert "roles" in refused.value.message_dict
    assert events("account.roles.refused")
    jane.refresh_from_db()
    assert jane.user is None


@pytest.mark.requirement("U4")
def test_accounts_for_everyone_of_the_hr_feed_without_a_login(admin, coordinator, site, sent):
    make_person(coordinator, site, "E2001", "Ann One", "ann@plant.example")
    make_person(coordinator, site, "E2002", "Bob Two", "bob@plant.example")
    make_person(coordinator, site, "E2003", "Cy Nomail")
    User.objects.create(username="e2002", printed_name="Someone else")  # taken id
    report = sent(onboarding.accounts_create_for_people, actor=admin)
    assert [(p.employee_number, u.username) for p, u in report.created] == [("E2001", "e2001")]
    refused = {p.employee_number: why for p, why in report.refused}
    assert set(refused) == {"E2002", "E2003"}
    assert "never reused" in refused["E2002"]
    assert "email" in refused["E2003"]
    assert Person.objects.get(employee_number="E2001").user.username == "e2001"
    assert [m.to for m in mail.outbox] == [["ann@plant.example"]]


@pytest.mark.requirement("U4")
def test_a_dry_run_of_the_hr_feed_accounts_writes_nothing(admin, coordinator, site, sent):
    make_person(coordinator, site, "E2001", "Ann One", "ann.one@plant.example")
    report = sent(onboarding.accounts_create_for_people, actor=admin, policy="email", dry_run=True)
    assert [u.username for _, u in report.created] == ["ann.one"]
    assert not User.objects.filter(username="ann.one").exists()
    assert mail.outbox == []


@pytest.mark.requirement("U4", "U1")
def test_the_link_sets_a_password_under_the_policy_once(admin, jane, sent):
    user = sent(onboarding.account_create, actor=admin, username="jroe", person=jane)
    uid, token = uid_token(last_link("jane.roe@plant.example"))
    with pytest.raises(ValidationError) as weak:
        links.password_set_with_link(uid=uid, token=token, password="short")
    assert "password" in weak.value.message_dict
    links.password_set_with_link(uid=uid, token=token, password=STRONG)
    assert authenticate(None, username="jroe", password=STRONG) is not None
    with pytest.raises(ValidationError) as reused:
        links.password_set_with_link(uid=uid, token=token, password=OTHER)
    assert "already been used" in reused.value.message_dict["link"][0]
    assert events("account.password.set", user)


@pytest.mark.requirement("U4")
def test_the_link_expires(admin, jane, sent, time_machine, settings):
    sent(onboarding.account_create, actor=admin, username="jroe", person=jane)
    uid, token = uid_token(last_link("jane.roe@plant.example"))
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(hours=73), tick=False)
    with pytest.raises(ValidationError) as expired:
        links.password_set_with_link(uid=uid, token=token, password=STRONG)
    assert "expired" in expired.value.message_dict["link"][0]
    assert "72 hours" in expired.value.message_dict["link"][0]


@pytest.mark.requirement("U4")
def test_a_tampered_link_is_not_valid(admin, jane, sent):
    sent(onboarding.account_create, actor=admin, username="jroe", person=jane)
    uid, token = uid_token(last_link("jane.roe@plant.example"))
    for bad_uid, bad_token in ((uid, token[:-2] + "xx"), ("bm90aGluZw", token), (uid, "junk")):
        with pytest.raises(ValidationError):
            links.password_set_with_link(uid=bad_uid, token=bad_token, password=STRONG)


@pytest.mark.requirement("U4")
def test_the_last_n_passwords_cannot_be_reused(employee, settings):
    from tests.personas import PASSWORD

    settings.QUALIFY_PASSWORD_HISTORY = 3
    accounts.user_change_password(user=employee, old_password=PASSWORD, new_password=STRONG)
    accounts.user_change_password(user=employee, old_password=STRONG, new_password=OTHER)
    for old in (OTHER, STRONG, PASSWORD):  # the current one and the two before it
        with pytest.raises(ValidationError) as refused:
            accounts.user_change_password(user=employee, old_password=OTHER, new_password=old)
        assert "last 3 passwords" in refused.value.message_dict["new_password"][0]
    accounts.user_change_password(user=employee, old_password=OTHER, new_password=THIRD)
    # PASSWORD is now the fourth most recent: allowed again with a history of 3.
    accounts.user_change_password(user=employee, old_password=THIRD, new_password=PASSWORD)


@pytest.mark.requirement("U4")
def test_a_history_of_zero_allows_reuse(employee, settings):
    from tests.personas import PASSWORD

    settings.QUALIFY_PASSWORD_HISTORY = 0
    accounts.user_change_password(user=employee, old_password=PASSWORD, new_password=STRONG)
    accounts.user_change_password(user=employee, old_password=STRONG, new_password=PASSWORD)


@pytest.mark.requirement("U4")
def test_a_password_expires_after_the_configured_age_only(employee, settings, time_machine):
    settings.QUALIFY_PASSWORD_MAX_AGE_DAYS = 0
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=4000), tick=False)
    assert not employee.password_expired  # default off
    settings.QUALIFY_PASSWORD_MAX_AGE_DAYS = 90
    time_machine.move_to(employee.password_changed_at + dt.timedelta(days=89), tick=False)
    assert not employee.password_expired
    time_machine.move_to(employee.password_changed_at + dt.timedelta(days=90), tick=False)
    assert employee.password_expired


@pytest.mark.requirement("U4", "A1")
def test_an_administrator_resets_a_password_with_a_reason(admin, employee, sent):
    from tests.personas import PASSWORD

    sent(links.user_password_reset, actor=admin, user=employee, reason="Forgot it, phoned IT")
    assert authenticate(None, username=employee.username, password=PASSWORD) is None
    [event] = events("account.password.reset", employee)
    assert event.reason == "Forgot it, phoned IT"
    assert event.actor_username == admin.username
    uid, token = uid_token(last_link(employee.email))
    links.password_set_with_link(uid=uid, token=token, password=STRONG)
    assert authenticate(None, username=employee.username, password=STRONG) is not None


@pytest.mark.requirement("U4", "U3")
def test_a_reset_needs_a_reason_and_is_never_for_ones_own_account(admin, employee):
    with pytest.raises(ValidationError) as refused:
        links.user_password_reset(actor=admin, user=employee, reason=" ")
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        links.user_password_reset(actor=admin, user=admin, reason="mine")
    assert "own password" in refused.value.message_dict["user"][0]
    with pytest.raises(PermissionDenied):
        links.user_password_reset(actor=employee, user=admin, reason="takeover")


@pytest.mark.requirement("U4", "A1")
def test_an_administrator_locks_an_account_with_a_reason(admin, employee):
    from tests.personas import PASSWORD

    accounts.user_lock(actor=admin, user=employee, reason="Badge reported stolen")
    employee.refresh_from_db()
    assert employee.is_locked
    assert not employee.may_sign
    assert authenticate(None, username=employee.username, password=PASSWORD) is None
    [event] = events("account.locked.by_administrator", employee)
    assert event.reason == "Badge reported stolen"
    with pytest.raises(ValidationError):
        accounts.user_lock(actor=admin, user=employee, reason="again")
    accounts.user_unlock(actor=admin, user=employee, reason="Badge found")
    assert authenticate(None, username=employee.username, password=PASSWORD) is not None


@pytest.mark.requirement("U4", "U3")
def test_locking_needs_a_reason_an_administrator_and_another_account(admin, employee):
    with pytest.raises(ValidationError):
        accounts.user_lock(actor=admin, user=employee, reason="")
    with pytest.raises(ValidationError):
        accounts.user_lock(actor=admin, user=admin, reason="test")
    with pytest.raises(PermissionDenied):
        accounts.user_lock(actor=employee, user=admin, reason="test")


@pytest.mark.requirement("U4", "P23")
def test_a_forgotten_password_request_is_answered_alike_and_mails_only_a_real_account(
    employee, sent
):
    sent(links.password_forgotten, asked="nobody-here")
    assert mail.outbox == []
    sent(links.password_forgotten, asked=employee.email.upper())
    assert [m.to for m in mail.outbox] == [[employee.email]]
    uid, token = uid_token(last_link(employee.email))
    links.password_set_with_link(uid=uid, token=token, password=STRONG)


@pytest.mark.requirement("U4", "P23")
def test_forgotten_password_requests_are_limited_whether_or_not_the_user_exists(employee, settings):
    settings.QUALIFY_PASSWORD_LINK_RATE = 2
    for asked in (employee.username, "nobody-here"):
        links.password_forgotten(asked=asked)
        links.password_forgotten(asked=asked)
        with pytest.raises(links.TooManyRequests):
            links.password_forgotten(asked=asked)


@pytest.mark.requirement("U4")
def test_no_link_for_a_locked_or_deactivated_account(admin, employee, trainer, sent):
    accounts.user_lock(actor=admin, user=employee, reason="Suspected misuse")
    accounts.user_deactivate(actor=admin, user=trainer, reason="Left")
    sent(links.password_forgotten, asked=employee.username)
    sent(links.password_forgotten, asked=trainer.username)
    assert mail.outbox == []
