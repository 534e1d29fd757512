"""U2: the roles exist as groups with their permissions; the administrator manages
accounts but cannot sign; the auditor only reads."""

import pytest
from django.contrib.auth.models import Group, Permission

from qualify.accounts import roles
from qualify.signatures.meanings import MEANINGS

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("U2")]


def permission_names(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_every_role_exists_as_a_group_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)


def test_every_permission_a_role_names_exists_after_migrate():
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    named = {perm for perms in roles.ROLE_PERMISSIONS.values() for perm in perms}
    assert named - existing == set()


@pytest.mark.parametrize("role", sorted(roles.ROLES))
def test_each_group_holds_exactly_the_permissions_of_its_role(role):
    assert permission_names(Group.objects.get(name=role)) == set(roles.ROLE_PERMISSIONS[role])


def test_the_administrator_role_holds_no_signing_permission():
    granted = permission_names(Group.objects.get(name=roles.ADMINISTRATOR))
    assert not {p for p in granted if p.startswith("signatures.sign_")}
    assert "accounts.manage_accounts" in granted


def test_an_administrator_may_sign_with_no_meaning(admin):
    assert not [m for m in MEANINGS.values() if admin.has_perm(m.permission)]


def test_the_auditor_role_only_reads_and_sees_the_audit_trail():
    granted = permission_names(Group.objects.get(name=roles.AUDITOR))
    assert "audit.view_audit_trail" in granted
    assert all(p.split(".", 1)[1].startswith("view_") for p in granted)


def test_no_app_can_grant_the_administrator_a_signing_permission():
    with pytest.raises(ValueError, match="never signs"):
        roles.grant(roles.ADMINISTRATOR, "signatures.sign_approved")
    assert "signatures.sign_approved" not in roles.ROLE_PERMISSIONS[roles.ADMINISTRATOR]


def test_no_app_can_grant_the_auditor_a_change_permission():
    with pytest.raises(ValueError, match="read-only"):
        roles.grant(roles.AUDITOR, "accounts.manage_accounts")


def test_each_signing_meaning_is_held_by_some_role():
    held = {perm for perms in roles.ROLE_PERMISSIONS.values() for perm in perms}
    assert {m.permission for m in MEANINGS.values()} <= held
