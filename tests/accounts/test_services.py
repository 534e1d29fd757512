"""Account services write their audit events in their own transaction (A1), demand
a reason for every change to an existing account and roll back whole (P5), and
record what U1 requires before a person may sign."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.accounts import roles
from qualify.accounts.models import User
from qualify.accounts.services import (
    user_acknowledge_esig_policy,
    user_create,
    user_deactivate,
    user_reactivate,
    user_record_identity_verified,
    user_set_roles,
    user_unlock,
)
from qualify.audit.models import AuditEvent
from tests.accounts.helpers import events
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("A1")
def test_creating_an_account_is_audited_with_its_actor_and_roles(admin):
    user = user_create(
        actor=admin,
        username="jroe",
        printed_name="Jane Roe",
        password=PASSWORD,
        roles=[roles.EMPLOYEE, roles.TRAINER],
    )
    [created] = events("account.created", user)
    assert created.actor_username == "admin"
    assert created.actor_name == "Admin"
    assert created.changes["printed_name"] == [None, "Jane Roe"]
    assert created.data["detail"]["roles"] == ["employee", "trainer"]
    assert created.reason == ""  # creation needs none (A1)
    assert set(user.groups.values_list("name", flat=True)) == {"employee", "trainer"}


@pytest.mark.requirement("U2")
def test_only_an_administrator_creates_accounts(qa):
    with pytest.raises(PermissionDenied):
        user_create(actor=qa, username="jroe", printed_name="Jane Roe")


def test_every_account_has_a_printed_name(admin):
    with pytest.raises(ValidationError) as refused:
        user_create(actor=admin, username="jroe", printed_name="  ")
    assert "printed_name" in refused.value.message_dict


@pytest.mark.requirement("A1")
def test_a_role_change_is_audited_with_old_and_new_roles(admin, employee):
    user_set_roles(
        actor=admin,
        user=employee,
        roles=[roles.EMPLOYEE, roles.TRAINER],
        reason="Qualified as trainer",
    )
    [changed] = events("account.roles.changed", employee)
    assert changed.data["detail"]["roles"] == [["employee"], ["employee", "trainer"]]
    assert changed.reason == "Qualified as trainer"


@pytest.mark.requirement("P5", "A1")
@pytest.mark.parametrize(
    "change",
    [
        lambda admin, user, reason: user_unlock(actor=admin, user=user, reason=reason),
        lambda admin, user, reason: user_deactivate(actor=admin, user=user, reason=reason),
        lambda admin, user, reason: user_reactivate(actor=admin, user=user, reason=reason),
        lambda admin, user, reason: user_record_identity_verified(
            actor=admin, user=user, reason=reason
        ),
        lambda admin, user, reason: user_set_roles(actor=admin, user=user, roles=[], reason=reason),
    ],
    ids=["unlock", "deactivate", "reactivate", "identity", "roles"],
)
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_change_without_a_reason_is_refused_naming_the_field(admin, employee, change, reason):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        change(admin, employee, reason)
    assert "reason" in refused.value.message_dict
    assert AuditEvent.objects.count() == before


@pytest.mark.requirement("P5")
def test_an_error_inside_a_service_leaves_no_account_without_its_event(admin, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("qualify.accounts.services.audit.record", broken)
    with pytest.raises(RuntimeError):
        user_create(actor=admin, username="jroe", printed_name="Jane Roe", roles=["employee"])
    assert not User.objects.filter(username="jroe").exists()
    assert not Group.objects.get(name="employee").user_set.filter(username="jroe").exists()


@pytest.mark.requirement("P5")
def test_an_error_inside_a_change_leaves_the_account_as_it_was(admin, employee, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("qualify.accounts.services.audit.record", broken)
    with pytest.raises(RuntimeError):
        user_deactivate(actor=admin, user=employee, reason="Left")
    assert User.objects.get(pk=employee.pk).is_active


@pytest.mark.requirement("U1", "A1")
def test_an_administrator_records_the_identity_verification(admin):
    user = make_user("jroe", roles.EMPLOYEE, may_sign=False)
    user_record_identity_verified(actor=admin, user=user, reason="Passport checked by HR")
    assert user.identity_verified_at is not None
    assert user.identity_verified_by == admin
    [verified] = events("account.identity.verified", user)
    assert verified.actor_username == "admin"
    assert verified.reason == "Passport checked by HR"
    assert verified.changes["identity_verified_by_id"] == [None, admin.pk]


@pytest.mark.requirement("U1")
def test_nobody_records_their_own_identity_verification(admin):
    other_admin = make_user("admin2", roles.ADMINISTRATOR, may_sign=False)
    with pytest.raises(ValidationError):
        user_record_identity_verified(actor=other_admin, user=other_admin, reason="It is me")
    with pytest.raises(PermissionDenied):
        user_record_identity_verified(
            actor=make_user("jroe", roles.EMPLOYEE), user=other_admin, reason="I know him"
        )


@pytest.mark.requirement("U1", "A1")
def test_the_person_acknowledges_the_esig_policy_with_their_password():
    user = make_user("jroe", roles.EMPLOYEE, may_sign=False)
    with pytest.raises(ValidationError) as refused:
        user_acknowledge_esig_policy(user=user, password="not the password!")
    assert "password" in refused.value.message_dict
    assert user.esig_acknowledged_at is None
    assert user.failed_login_count == 1  # the wrong password counts toward the lock

    user_acknowledge_esig_policy(user=user, password=PASSWORD)
    assert user.esig_acknowledged_at is not None
    [acknowledged] = events("account.esig_policy.acknowledged", user)
    assert acknowledged.actor_username == "jroe"


@pytest.mark.requirement("U1")
def test_a_user_may_sign_only_when_both_verification_and_acknowledgement_are_recorded(admin):
    user = make_user("jroe", roles.EMPLOYEE, may_sign=False)
    assert not user.may_sign
    user_record_identity_verified(actor=admin, user=user, reason="Passport checked by HR")
    assert not user.may_sign
    user_acknowledge_esig_policy(user=user, password=PASSWORD)
    assert user.may_sign
