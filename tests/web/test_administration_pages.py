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


# --- Issue 11: accounts for people, lock, password reset (U4) ----------------------


def _site_and_person(admin, coordinator, email="jane.roe@plant.example"):
    site = org.site_create(actor=admin, code="CORK", name="Cork", time_zone="Europe/Dublin")
    return org.person_create(
        actor=coordinator, employee_number="E1001", full_name="Jane Roe", site=site, email=email
    )


@pytest.mark.requirement("U4", "A1")
def test_the_new_account_page_creates_a_linked_account_and_mails_the_link(
    client, admin, coordinator, django_capture_on_commit_callbacks
):
    from django.core import mail

    person = _site_and_person(admin, coordinator)
    client.force_login(admin)
    assert client.get(reverse("web:admin_user_new")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web:admin_user_new"),
            {"person": "e1001", "username": "jroe", "roles": ["employee"]},
        )
    created = User.objects.get(username="jroe")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:admin_user", args=[created.pk])
    person.refresh_from_db()
    assert person.user == created
    assert [m.to for m in mail.outbox] == [["jane.roe@plant.example"]]
    page = client.get(response["Location"]).content.decode()
    assert "Jane Roe (E1001)" in page
    assert "waiting for the one-time link" in page


@pytest.mark.requirement("U1", "U4")
@pytest.mark.parametrize(
    ("post", "field_error"),
    [
        ({"username": "EMPLOYEE", "email": "x@plant.example"}, "exists and is never reused"),
        ({"username": "new1", "person": "E404"}, "No person has the employee number"),
        ({"username": "new2"}, "An email address is needed"),
        ({"username": "new3", "email": "not-an-address"}, "Enter a valid email address"),
    ],
)
def test_a_refused_new_account_keeps_what_was_typed_and_says_why(
    client, admin, employee, post, field_error
):
    client.force_login(admin)
    data = {"printed_name": "Typed Name", "roles": ["employee"], **post}
    response = client.post(reverse("web:admin_user_new"), data)
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error in page
    assert 'value="Typed Name"' in page
    assert f'value="{post["username"]}"' in page
    assert User.objects.count() == 2  # admin and employee only


@pytest.mark.requirement("U1")
def test_a_person_with_a_login_gets_no_second_one_from_the_page(
    client, admin, coordinator, django_capture_on_commit_callbacks
):
    _site_and_person(admin, coordinator)
    client.force_login(admin)
    client.post(reverse("web:admin_user_new"), {"person": "E1001", "username": "jroe"})
    response = client.post(reverse("web:admin_user_new"), {"person": "E1001", "username": "jr2"})
    assert response.status_code == 422
    assert "already has the login jroe; a person has at most one login" in response.content.decode()
    assert not User.objects.filter(username="jr2").exists()


@pytest.mark.requirement("U4")
def test_the_onboarding_page_shows_a_dry_run_then_creates(client, admin, coordinator):
    _site_and_person(admin, coordinator)
    client.force_login(admin)
    url = reverse("web:admin_users_onboard")
    assert "1 active person" in client.get(url).content.decode()
    dry = client.post(url, {"policy": "email", "roles": ["employee"], "dry_run": "on"})
    assert "Would be created (nothing was written): 1" in dry.content.decode()
    assert "jane.roe" in dry.content.decode()
    assert not User.objects.filter(username="jane.roe").exists()
    done = client.post(url, {"policy": "email", "roles": ["employee"]})
    assert "Created: 1" in done.content.decode()
    assert User.objects.filter(username="jane.roe").exists()


@pytest.mark.requirement("U4", "A1")
def test_the_administrator_locks_an_account_with_a_reason_from_its_page(client, admin, employee):
    client.force_login(admin)
    url = reverse("web:admin_user_lock", args=[employee.pk])
    refused = client.post(url, {"lock-reason": ""})
    assert refused.status_code == 422
    response = client.post(url, {"lock-reason": "Badge reported stolen"})
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.is_locked
    event = AuditEvent.objects.get(action="account.locked.by_administrator")
    assert event.reason == "Badge reported stolen"


@pytest.mark.requirement("U3", "U4")
def test_an_administrator_cannot_lock_or_reset_their_own_account(client, admin):
    client.force_login(admin)
    lock = client.post(reverse("web:admin_user_lock", args=[admin.pk]), {"lock-reason": "x"})
    reset = client.post(
        reverse("web:admin_user_password_reset", args=[admin.pk]), {"reset-reason": "x"}
    )
    assert lock.status_code == 422
    assert reset.status_code == 422
    admin.refresh_from_db()
    assert not admin.is_locked
    assert admin.has_usable_password()


@pytest.mark.requirement("U4")
def test_the_administrator_resets_a_password_from_the_page(
    client, admin, employee, django_capture_on_commit_callbacks
):
    from django.core import mail

    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web:admin_user_password_reset", args=[employee.pk]),
            {"reset-reason": "Forgot it, phoned the help desk"},
        )
    assert response.status_code == 302
    employee.refresh_from_db()
    assert not employee.has_usable_password()
    assert [m.to for m in mail.outbox] == [[employee.email]]
