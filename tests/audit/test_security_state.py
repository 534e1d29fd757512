"""The security state in a user's record hash (A6) is the same whether read for one
user at an append (one SQL statement) or for every user at verification (prefetched
through the ORM): roles, client codes, the password hash's digest and TOTP devices."""

import hashlib

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualify.accounts.models import User
from qualify.accounts.services import user_create
from qualify.audit import security
from qualify.audit.registry import security_prefetch
from qualify.audit.verify import verify_trail
from qualify.org.services import client_create
from tests.audit.helpers import execute

pytestmark = pytest.mark.requirement("A6")


def _both(user):
    prefetched = User.objects.prefetch_related(*security_prefetch("accounts.user")).get(pk=user.pk)
    return security.user_security_state(User.objects.get(pk=user.pk)), (
        security.user_security_state(prefetched)
    )


def test_one_statement_and_the_prefetch_read_the_same_state(db, admin):
    user = user_create(actor=None, username="sec", printed_name="Sec Urity", password=None)
    empty_sql, empty_orm = _both(user)
    assert empty_sql == empty_orm
    assert empty_sql["roles"] == []
    assert empty_sql["clients"] == []
    assert empty_sql["otp"] == []

    for code in ("ZED", "ACME"):
        client = client_create(actor=admin, code=code, name=f"{code} Pharma")
        execute(
            "INSERT INTO org_clientaccess (user_id, client_id) VALUES (%s, %s)",
            [user.pk, client.pk],
        )
    for name in ("trainer", "employee"):
        user.groups.add(Group.objects.get(name=name))
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=user, name="spare", confirmed=False)

    by_sql, by_orm = _both(user)
    assert by_sql == by_orm
    assert by_sql["roles"] == ["employee", "trainer"]
    assert by_sql["clients"] == ["ACME", "ZED"]
    assert [device[1] for device in by_sql["otp"]] == [True, False]
    user.refresh_from_db()
    assert by_sql["password"] == hashlib.sha256(user.password.encode()).hexdigest()


def test_a_user_audited_through_the_services_verifies_with_roles_and_clients(db, admin):
    from qualify.accounts.services import user_set_roles
    from qualify.org.services import client_access_grant

    user = user_create(actor=admin, username="rc", printed_name="Role Client", password=None)
    user_set_roles(actor=admin, user=user, roles=["trainer"], reason="new trainer")
    client = client_create(actor=admin, code="BETA", name="Beta Bio")
    client_access_grant(actor=admin, user=user, client=client, reason="works for Beta")
    report = verify_trail()
    assert report.ok, report.problems
