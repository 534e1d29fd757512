"""Administrator pages: users, roles, client restriction, unlock, deactivation, identity."""

import pytest
from django.conf import settings
from django.urls import reverse

from qualify.accounts import roles
from qualify.accounts.models import User
from qualify.audit.models import AuditEvent
from qualify.org import services as org
from qualify.org.models import ClientAccess
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _lock(client, user):
    for _ in range(settings.QUALIFY_LOCKOUT_THRESHOLD):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    user.refresh_from_db()
    assert user.is_locked


@pytest.mark.requirement("P13", "U2")
@pytest.mark.parametrize("persona", ["employee", "trainer", "coordinator", "qa", "auditor"])
def test_only_the_administrator_reaches_the_user_pages(client, request, persona, admin):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("web:admin_users")).status_code == 403
    assert client.get(reverse("web:admin_user", args=[admin.pk])).status_code == 403
    response = client.post(
        reverse("web:admin_user_unlock", args=[admin.pk]), {"unlock-reason": "x"}
    )
    assert response.status_code == 403


@pytest.mark.requirement("U1", "U2")
def test_users_list_shows_status_and_filters(client, admin, employee):
    client.force_login(admin)
    page = client.get(reverse("web:admin_users")).content.decode()
    assert employee.username in page
    assert admin.username in page
    filtered = client.get(reverse("web:admin_users"), {"status": "locked"}).content.decode()
    assert employee.username not in filtered
    fragment = client.get(
        reverse("web:admin_users"), {"q": "employ"}, headers={"HX-Request": "true"}
    )
    assert fragment.content.decode().startswith('<table class="list" id="users-table">')


@pytest.mark.requirement("U1")
def test_unlock_needs_a_reason_and_lets_the_user_sign_in(client, admin, employee):
    _lock(client, employee)
    client.force_login(admin)
    url = reverse("web:admin_user_unlock", args=[employee.pk])
    refused = client.post(url, {"unlock-reason": ""})
    assert "This field is required" in refused.content.decode()
    done = client.post(url, {"unlock-reason": "Confirmed with the person by phone"})
    assert done.status_code == 302
    employee.refresh_from_db()
    assert not employee.is_locked
    assert AuditEvent.objects.filter(action="account.unlocked").exists()
    client.logout()
    client.post("/accounts/login/", {"username": employee.username, "password": PASSWORD})
    assert "_auth_user_id" in client.session


@pytest.mark.requirement("U2", "U3")
def test_roles_change_with_reason(client, admin, employee):
    client.force_login(admin)
    url = reverse("web:admin_user_roles", args=[employee.pk])
    client.post(url, {"roles-roles": [roles.EMPLOYEE, roles.TRAINER], "roles-reason": "Now trains"})
    assert set(employee.groups.values_list("name", flat=True)) == {roles.EMPLOYEE, roles.TRAINER}
    page = client.get(reverse("web:admin_user", args=[employee.pk])).content.decode()
    assert "Recent changes to roles and client access" in page
    assert "Now trains" in page
    assert "employee, trainer" in page  # the new roles beside the old ones
    own = client.post(
        reverse("web:admin_user_roles", args=[admin.pk]),
        {"roles-roles": [roles.ADMINISTRATOR, roles.AUDITOR], "roles-reason": "oops"},
    )
    assert own.status_code == 422
    assert "cannot change their own roles" in own.content.decode()
    assert set(admin.groups.values_list("name", flat=True)) == {roles.ADMINISTRATOR}
    # Their own page offers no role or client form at all.
    mine = client.get(reverse("web:admin_user", args=[admin.pk])).content.decode()
    assert "another administrator changes your roles" in mine
    assert reverse("web:admin_user_roles", args=[admin.pk]) not in mine


@pytest.mark.requirement("U3", "A5")
def test_the_page_refuses_administrator_with_a_signing_role_until_qa_signs(
    client, admin, employee, qa
):
    client.force_login(admin)
    url = reverse("web:admin_user_roles", args=[employee.pk])
    combined = {"roles-roles": [roles.ADMINISTRATOR, roles.EMPLOYEE], "roles-reason": "Cover"}
    refused = client.post(url, combined)
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "QA approver must first sign an exception" in text
    assert "(U3)" not in text
    assert set(employee.groups.values_list("name", flat=True)) == {roles.EMPLOYEE}
    assert AuditEvent.objects.filter(action="account.roles.refused").count() == 1
    exception_url = reverse("web:admin_user_exception", args=[employee.pk])
    form = {
        "exception-roles": [roles.EMPLOYEE],
        "exception-reason": "Single-person site",
        "exception-qa_username": qa.username,
        "exception-qa_password": "wrong",
    }
    wrong = client.post(exception_url, form)
    assert wrong.status_code == 422
    assert "password is not correct" in wrong.content.decode()
    signed = client.post(exception_url, {**form, "exception-qa_password": PASSWORD})
    assert signed.status_code == 302
    assert client.post(url, combined).status_code == 302
    assert set(employee.groups.values_list("name", flat=True)) == {
        roles.ADMINISTRATOR,
        roles.EMPLOYEE,
    }
    page = client.get(reverse("web:admin_user", args=[employee.pk])).content.decode()
    assert "Approved by Qa (qa)" in page


@pytest.mark.requirement("U1")
def test_deactivate_and_reactivate_with_reason(client, admin, employee):
    client.force_login(admin)
    client.post(
        reverse("web:admin_user_deactivate", args=[employee.pk]), {"deactivate-reason": "Left"}
    )
    employee.refresh_from_db()
    assert not employee.is_active
    page = client.get(reverse("web:admin_user", args=[employee.pk])).content.decode()
    assert "deactivated" in page
    assert "Reactivate" in page
    client.post(
        reverse("web:admin_user_reactivate", args=[employee.pk]), {"reactivate-reason": "Rehired"}
    )
    employee.refresh_from_db()
    assert employee.is_active


@pytest.mark.requirement("U1")
def test_identity_verification_is_recorded(client, admin):
    newcomer = make_user("newcomer", roles.EMPLOYEE, may_sign=False)
    client.force_login(admin)
    client.post(
        reverse("web:admin_user_identity", args=[newcomer.pk]),
        {"identity-reason": "Passport checked by HR"},
    )
    newcomer.refresh_from_db()
    assert newcomer.identity_verified_by_id == admin.pk


@pytest.mark.requirement("U2")
def test_client_restriction_granted_and_revoked(client, admin, employee):
    novexa = org.client_create(actor=admin, code="NVX", name="Novexa")
    client.force_login(admin)
    grant = reverse("web:admin_user_client_grant", args=[employee.pk])
    no_reason = client.post(grant, {"grant-client": novexa.pk})
    assert no_reason.status_code == 422
    assert not ClientAccess.objects.filter(user=employee).exists()
    client.post(grant, {"grant-client": novexa.pk, "grant-reason": "Novexa project"})
    assert ClientAccess.objects.filter(user=employee, client=novexa).exists()
    url = reverse("web:admin_user_client_revoke", args=[employee.pk])
    refused = client.post(url, {"revoke-client": novexa.pk, "revoke-reason": "Project ended"})
    assert "confirm that this is intended" in refused.content.decode()
    client.post(
        url,
        {
            "revoke-client": novexa.pk,
            "revoke-reason": "Project ended",
            "revoke-make_unrestricted": "on",
        },
    )
    assert not ClientAccess.objects.filter(user=employee).exists()


@pytest.mark.requirement("U1")
def test_unknown_user_is_404(client, admin):
    client.force_login(admin)
    assert client.get(reverse("web:admin_user", args=[999999])).status_code == 404
    assert User.objects.filter(pk=999999).count() == 0


@pytest.mark.requirement("P26", "U3")
def test_the_access_rights_history_page_answers_auditors_and_administrators(
    client, admin, auditor, employee, qa
):
    from qualify.accounts.services import user_set_roles

    user_set_roles(
        actor=admin, user=employee, roles=[roles.EMPLOYEE, roles.TRAINER], reason="Now trains"
    )
    url = reverse("web:admin_access_history")
    for reader in (auditor, admin):
        client.force_login(reader)
        page = client.get(url, {"user": employee.username})
        assert page.status_code == 200
        text = page.content.decode()
        assert "Role: Trainer" in text
        assert "Now trains" in text
        assert "Admin (admin)" in text
    unknown = client.get(url, {"user": "nobody"})
    assert unknown.status_code == 422
    assert "No account has this user id" in unknown.content.decode()
    backwards = client.get(
        url, {"user": employee.username, "start": "2026-02-01", "end": "2026-01-01"}
    )
    assert "must be after its start" in backwards.content.decode()
    client.force_login(qa)
    assert client.get(url, {"user": employee.username}).status_code == 403
