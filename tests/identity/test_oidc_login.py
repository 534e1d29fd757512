"""OpenID Connect sign-in against a real provider (django-oauth-toolkit in its own
process): code flow with PKCE, discovery, JWKS-checked ID tokens, just-in-time
linking by subject, group claims to roles under U3, and bad input refused."""

import pytest
from django.contrib.auth import get_user_model

from qualify.accounts import roles
from qualify.audit.models import AuditEvent
from qualify.identity.models import ExternalIdentity
from tests.identity.flows import sign_in
from tests.personas import make_user

pytestmark = pytest.mark.django_db

User = get_user_model()


def _refusals(action="identity.login.refused"):
    return [e.data["detail"]["why"] for e in AuditEvent.objects.filter(action=action)]


@pytest.mark.requirement("P53")
def test_an_existing_account_is_linked_by_subject_at_its_first_sign_in(client, sso):
    """The first sign-in links the account named by the user-id claim to the
    provider's stable subject; the person is signed in, and a login is no signature."""
    operator = make_user("operator", roles.EMPLOYEE)
    response, _ = sign_in(client, sso, "operator", next_url="/my/training/")
    assert response.status_code == 302
    assert response["Location"] == "/my/training/"
    link = ExternalIdentity.objects.get(user=operator)
    assert link.provider == "oidc"
    assert link.subject
    assert int(client.session["_auth_user_id"]) == operator.pk
    assert "qualify_esig_user" not in client.session
    linked = AuditEvent.objects.get(action="identity.linked")
    assert linked.data["detail"]["subject"] == link.subject
    assert AuditEvent.objects.filter(action="identity.login.succeeded").count() == 1


@pytest.mark.requirement("P53")
def test_later_sign_ins_follow_the_subject_not_the_user_id(client, sso):
    """Once linked, the subject decides: renaming the account in Qualify does not
    break the link, and another account with the old name is never reached."""
    operator = make_user("operator", roles.EMPLOYEE)
    sign_in(client, sso, "operator")
    client.logout()
    User.objects.filter(pk=operator.pk).update(username="o.ortega")
    make_user("operator_twin", roles.EMPLOYEE)
    response, _ = sign_in(client, sso, "operator")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == operator.pk


@pytest.mark.requirement("P53")
def test_no_account_and_no_creation_policy_refuses_with_the_reason(client, sso):
    """New users are made only by policy: with QUALIFY_OIDC_CREATE_USERS off, a person
    without an account is refused, audited, and told why."""
    response, _ = sign_in(client, sso, "newhire")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not User.objects.filter(username="newhire").exists()
    assert any("no Qualify account" in why for why in _refusals())
    page = client.get("/accounts/login/")
    assert "no Qualify account" in page.content.decode()


@pytest.mark.requirement("P53")
def test_with_the_creation_policy_a_new_user_is_made_with_the_roles_of_the_groups(
    client, sso, settings
):
    """With QUALIFY_OIDC_CREATE_USERS on, the account is created at first sign-in by
    the provider's provisioning account, linked, and given the roles its groups map
    to; every change is in the audit trail with the provider as actor."""
    settings.QUALIFY_OIDC_CREATE_USERS = True
    response, _ = sign_in(client, sso, "newhire")
    assert response.status_code == 302
    user = User.objects.get(username="newhire")
    assert set(user.groups.values_list("name", flat=True)) == {roles.EMPLOYEE}
    assert not user.has_usable_password()
    created = AuditEvent.objects.get(action="account.created", object_id=str(user.pk))
    assert created.data["actor_username"] == "idp-oidc"
    changed = AuditEvent.objects.get(action="account.roles.changed", object_id=str(user.pk))
    assert changed.data["actor_username"] == "idp-oidc"
    assert "qualify-employee" in changed.data["reason"]
    # A new account cannot sign before its identity verification is recorded (U1).
    assert not user.may_sign


@pytest.mark.requirement("P54")
def test_a_group_cannot_give_an_administrator_gxp_roles(client, sso):
    """U3 through the provider: groups mapping an administrator to the QA approver
    role are refused (no QA-signed exception), audited, and the roles stay as they
    were."""
    greedy = make_user("greedy", roles.ADMINISTRATOR)
    response, _ = sign_in(client, sso, "greedy")
    assert response["Location"] == "/accounts/login/"
    assert set(greedy.groups.values_list("name", flat=True)) == {roles.ADMINISTRATOR}
    refused = AuditEvent.objects.get(action="account.roles.refused")
    assert refused.data["actor_username"] == "idp-oidc"
    assert any("administrator role cannot be held together" in w for w in _refusals())
    assert "_auth_user_id" not in client.session


@pytest.mark.requirement("P54")
def test_a_group_naming_an_unknown_role_is_refused(client, sso):
    """A group with the role prefix that names no role is refused with its name."""
    make_user("typo", roles.EMPLOYEE)
    response, _ = sign_in(client, sso, "typo")
    assert response["Location"] == "/accounts/login/"
    assert any("qualify-qa_aprover" in why for why in _refusals())
    assert "_auth_user_id" not in client.session


@pytest.mark.requirement("P53")
def test_a_domain_not_allowed_is_refused(client, sso, settings):
    settings.QUALIFY_OIDC_ALLOWED_DOMAINS = ["example.com"]
    make_user("outsider", roles.EMPLOYEE)
    response, _ = sign_in(client, sso, "outsider")
    assert response["Location"] == "/accounts/login/"
    assert any("elsewhere.org is not allowed" in why for why in _refusals())


@pytest.mark.requirement("P53")
def test_a_replayed_callback_is_refused(client, sso):
    """The provider's answer is single-use: the same code and state again are
    refused (state already spent), audited, with the reason."""
    make_user("operator", roles.EMPLOYEE)
    _, callback = sign_in(client, sso, "operator")
    client.logout()
    again = client.get(callback)
    assert again["Location"] == "/accounts/login/"
    assert any("already used" in why for why in _refusals())


@pytest.mark.requirement("P53")
@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong_audience", "another audience"),
        ("expired", "expired"),
        ("no_subject", "no subject"),
    ],
)
def test_a_bad_id_token_is_refused_with_its_reason(client, sso, mode, reason, caplog):
    """Tokens from the real provider made wrong: a wrong audience, an expired token,
    no subject claim. Each is refused, audited, and the reason is in the message and
    in the log."""
    make_user("operator", roles.EMPLOYEE)
    sso.control(mode=mode)
    response, _ = sign_in(client, sso, "operator")
    assert response["Location"] == "/accounts/login/"
    assert any(reason in why for why in _refusals()), _refusals()
    assert reason in caplog.text
    assert reason in client.get(response["Location"]).content.decode()
    assert "_auth_user_id" not in client.session
    assert not ExternalIdentity.objects.exists()


@pytest.mark.requirement("P53")
def test_local_passwords_can_be_turned_off_except_for_administrators(client, settings, admin):
    """QUALIFY_LOCAL_PASSWORDS=administrators: the administrator (break-glass) still
    signs in with a password, everybody else is refused at the password form."""
    from tests.personas import PASSWORD

    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    make_user("operator", roles.EMPLOYEE)
    refused = client.post("/accounts/login/", {"username": "operator", "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    allowed = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD})
    assert allowed.status_code == 302
    assert "_auth_user_id" in client.session
