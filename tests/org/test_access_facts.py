"""P187: a signed-in request reads its user's roles, client restriction and permissions
in one statement (qualify.org.access_facts), and the answers are the ones the access
policy, the client restriction (U2) and the permission checks give when each asks on
its own."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualify.accounts.models import User
from qualify.accounts.policy import user_roles
from qualify.org import access_facts
from qualify.org import services as org
from qualify.org.scoping import restricted_clients
from tests.personas import make_user

pytestmark = [pytest.mark.requirement("P187", "U2"), pytest.mark.django_db]


def _asked_one_by_one(user_id: int) -> tuple:
    user = User.objects.get(pk=user_id)
    return user_roles(user), restricted_clients(user), user.get_all_permissions()


def _read_at_once(user_id: int) -> tuple:
    user = User.objects.get(pk=user_id)
    with CaptureQueriesContext(connection) as statements:
        access_facts.load(user)
    assert len(statements) == 1
    with CaptureQueriesContext(connection) as more:
        answers = user_roles(user), restricted_clients(user), user.get_all_permissions()
    assert len(more) == 0  # each question finds its answer where it looks first
    return answers


def test_the_facts_read_at_once_are_those_asked_one_by_one(admin):
    plain = make_user("plain", "employee")
    several = make_user("several", "employee", "trainer", "training_coordinator")
    restricted = make_user("restricted", "employee", "qa_approver")
    for code in ("ACM", "BRX"):
        client = org.client_create(actor=admin, code=code, name=code)
        org.client_access_grant(actor=admin, user=restricted, client=client, reason="work")
    direct = make_user("direct")
    direct.user_permissions.add(Permission.objects.get(codename="view_person"))
    for user in (plain, several, restricted, direct, admin):
        assert _read_at_once(user.pk) == _asked_one_by_one(user.pk), user.username
    roles, clients, _ = _read_at_once(restricted.pk)
    assert roles == {"employee", "qa_approver"}
    assert len(clients) == 2
    assert "org.view_person" in _read_at_once(direct.pk)[2]
    assert _read_at_once(plain.pk)[1] is None  # no client access: not restricted


def test_a_superuser_keeps_every_permission(admin):
    boss = make_user("boss", "employee")
    User.objects.filter(pk=boss.pk).update(is_superuser=True)
    user = User.objects.get(pk=boss.pk)
    access_facts.load(user)
    assert user.has_perm("documents.approve_version")
    assert user_roles(user) == {"employee"}


def test_a_signed_in_page_reads_them_in_one_statement(client, coordinator):
    client.force_login(coordinator)
    client.get("/")  # the session's first write (P184)
    with CaptureQueriesContext(connection) as statements:
        assert client.get("/").status_code == 200
    texts = [q["sql"] for q in statements.captured_queries]
    asking = [t for t in texts if "org_clientaccess" in t or "auth_permission" in t]
    assert len(asking) == 1
    assert "auth_group" in asking[0]
