"""The administrator's page for the identity providers (issue 16): settings kept in
the database with an audited change (old and new value, reason), the environment
taking precedence, the client secret named by its file and never shown, only for
the administrator; sign-in through the real provider configured on the page alone."""

import pytest
from django.urls import reverse

from qualify.accounts.passwords import local_password_disabled
from qualify.audit.models import AuditEvent
from qualify.identity import provider_settings as ps
from qualify.identity.config import oidc_config
from qualify.identity.models import ProviderSetting
from tests.identity import provider as idp
from tests.identity.flows import sign_in

pytestmark = pytest.mark.django_db

URL = "/identity/settings/"
SECRET_TEXT = "s3cret-never-shown-0123"


def _form(**values):
    """The page's form as the administrator submits it, defaults for the rest."""
    data = {
        row.setting.name: ("\n".join(row.value) if isinstance(row.value, list) else row.value)
        for row in ps.overview()
        if row.source != "environment"
    }
    data = {k: v for k, v in data.items() if v not in (False, None)}
    data.update(values)
    return {k: v for k, v in data.items() if v is not False}


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "oidc-secret"
    path.write_text(SECRET_TEXT + "\n")
    return path


def test_the_page_is_the_administrators_alone(client, admin, qa):
    assert reverse("identity:settings") == URL
    client.force_login(qa)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"reason": "x"}).status_code == 403
    client.force_login(admin)
    page = client.get(URL)
    assert page.status_code == 200
    assert "QUALIFY_OIDC_ISSUER" in page.content.decode()
    menu = client.get("/administration/users/").content.decode()
    assert f'href="{URL}"' in menu  # in the administrator's menu


@pytest.mark.requirement("P81")
def test_a_change_is_saved_audited_and_in_force(client, admin, secret_file, settings):
    """Issuer, client, secret file, claim and group mappings, domains: saved with the
    reason; each change an audited event with old and new value; the configuration
    in force reads them; the secret is read from its file and never shown."""
    settings.QUALIFY_OIDC_ISSUER = ""
    client.force_login(admin)
    response = client.post(
        URL,
        _form(
            QUALIFY_OIDC_ISSUER="https://login.example.com/tenant/v2.0",
            QUALIFY_OIDC_CLIENT_ID="qualify-prod",
            QUALIFY_OIDC_CLIENT_SECRET_FILE=str(secret_file),
            QUALIFY_OIDC_USERNAME_CLAIM="upn",
            QUALIFY_OIDC_ROLE_MAP="QA Team=qa_approver\nOperators=employee",
            QUALIFY_OIDC_ALLOWED_DOMAINS="@Plant.example",
            reason="Go-live with Entra ID (change CC-0042)",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    config = oidc_config()
    assert config.issuer == "https://login.example.com/tenant/v2.0"
    assert config.client_id == "qualify-prod"
    assert config.client_secret == SECRET_TEXT
    assert config.username_claim == "upn"
    assert config.role_map == (("QA Team", "qa_approver"), ("Operators", "employee"))
    assert config.allowed_domains == ("plant.example",)
    events = {
        e.data["detail"]["setting"]: e
        for e in AuditEvent.objects.filter(action="identity.settings.changed")
    }
    assert set(events) == {
        "QUALIFY_OIDC_ISSUER",
        "QUALIFY_OIDC_CLIENT_ID",
        "QUALIFY_OIDC_CLIENT_SECRET_FILE",
        "QUALIFY_OIDC_USERNAME_CLAIM",
        "QUALIFY_OIDC_ROLE_MAP",
        "QUALIFY_OIDC_ALLOWED_DOMAINS",
    }
    claim = events["QUALIFY_OIDC_USERNAME_CLAIM"]
    assert claim.data["detail"]["old"] == "preferred_username"
    assert claim.data["detail"]["new"] == "upn"
    assert claim.data["reason"] == "Go-live with Entra ID (change CC-0042)"
    assert claim.data["actor_username"] == admin.username
    # A second change records the stored value as the old one.
    client.post(URL, _form(QUALIFY_OIDC_USERNAME_CLAIM="email", reason="Entra sends no upn"))
    last = AuditEvent.objects.filter(action="identity.settings.changed").last()
    assert (last.data["detail"]["old"], last.data["detail"]["new"]) == ("upn", "email")
    page = client.get(URL).content.decode()
    assert SECRET_TEXT not in page
    assert "The file can be read." in page
    assert not any(SECRET_TEXT in str(e.data) for e in AuditEvent.objects.all())


@pytest.mark.requirement("P81")
def test_the_environment_takes_precedence(client, admin, settings, monkeypatch):
    """A setting given in the environment is shown as fixed there, has no field, and
    a change to it is refused (audited); what the page saved earlier stays unused."""
    client.force_login(admin)
    client.post(URL, _form(QUALIFY_OIDC_NAME="Page name", reason="Name the button"))
    assert ProviderSetting.objects.get(name="QUALIFY_OIDC_NAME").value == "Page name"
    monkeypatch.setenv("QUALIFY_OIDC_NAME", "Environment name")
    settings.QUALIFY_OIDC_NAME = "Environment name"
    assert ps.values()["QUALIFY_OIDC_NAME"] == "Environment name"
    rows = {r.setting.name: r for r in ps.overview()}
    assert rows["QUALIFY_OIDC_NAME"].source == "environment"
    page = client.get(URL).content.decode()
    assert 'name="QUALIFY_OIDC_NAME"' not in page
    with pytest.raises(Exception, match="set in the environment"):
        ps.settings_update(actor=admin, changes={"QUALIFY_OIDC_NAME": "Other"}, reason="Try anyway")
    refused = AuditEvent.objects.filter(action="identity.settings.refused").last()
    assert "set in the environment" in refused.data["detail"]["why"]


@pytest.mark.requirement("P81")
def test_bad_values_and_a_missing_reason_are_refused_and_nothing_is_saved(client, admin):
    client.force_login(admin)
    cases = [
        ({"QUALIFY_OIDC_ROLE_MAP": "QA=qa_aprover", "reason": "typo"}, "is not a role"),
        ({"QUALIFY_OIDC_ISSUER": "http://idp.example.com", "reason": "x"}, "https address"),
        ({"QUALIFY_OIDC_CLIENT_SECRET_FILE": "secret.txt", "reason": "x"}, "absolute path"),
        ({"QUALIFY_LOCAL_PASSWORDS": "nobody", "reason": "x"}, "Select a valid choice"),
        ({"QUALIFY_OIDC_CLIENT_ID": "changed", "reason": ""}, "This field is required"),
    ]
    for values, message in cases:
        response = client.post(URL, _form(**values))
        assert response.status_code == 422, values
        assert message in response.content.decode(), (values, message)
    assert not ProviderSetting.objects.exists()
    assert not AuditEvent.objects.filter(action="identity.settings.changed").exists()
    with pytest.raises(Exception, match="Only an administrator"):
        ps.settings_update(actor=None, changes={}, reason="x")


@pytest.mark.requirement("P81")
def test_local_passwords_for_break_glass_administrators_only(client, admin, employee):
    assert not local_password_disabled(employee)
    client.force_login(admin)
    response = client.post(
        URL, _form(QUALIFY_LOCAL_PASSWORDS="administrators", reason="SSO for everyone")
    )
    assert response.status_code == 302
    assert local_password_disabled(employee)
    assert not local_password_disabled(admin)


@pytest.mark.requirement("P81", "P53")
def test_sign_in_through_a_provider_configured_on_the_page_alone(
    client, admin, employee, oidc_provider, tmp_path, settings
):
    """No QUALIFY_OIDC_* setting: the administrator configures the real provider on
    the page (secret in a file), and a person signs in through it."""
    settings.QUALIFY_OIDC_ISSUER = ""
    settings.QUALIFY_OIDC_AUTH_TIME_SKEW_SECONDS = 0
    oidc_provider.control(mode="normal")
    oidc_provider.browsers.clear()
    secret = tmp_path / "secret"
    secret.write_text(idp.CLIENT_SECRET)
    client.force_login(admin)
    saved = client.post(
        URL,
        _form(
            QUALIFY_OIDC_ISSUER=oidc_provider.issuer,
            QUALIFY_OIDC_CLIENT_ID=idp.CLIENT_ID,
            QUALIFY_OIDC_CLIENT_SECRET_FILE=str(secret),
            QUALIFY_OIDC_NAME="Plant sign-in",
            QUALIFY_OIDC_ROLE_PREFIX="qualify-",
            reason="Connect the plant's provider",
        ),
    )
    assert saved.status_code == 302, saved.content.decode()
    client.logout()
    back, _ = sign_in(client, oidc_provider, "employee")
    assert back.status_code == 302, back
    assert client.session["_auth_user_id"] == str(employee.pk)
