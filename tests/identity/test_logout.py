"""Logout through the identity provider (issue 16), against the real providers on
loopback: SAML single logout with pysaml2's IdP (Qualify's LogoutRequest and the
IdP's LogoutResponse; a LogoutRequest the IdP starts ends the Qualify session, and
must be signed), and OpenID Connect RP-initiated logout with django-oauth-toolkit's
provider (the provider's session ends, so the next sign-in asks again)."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from qualify.accounts import roles
from qualify.audit.models import AuditEvent
from tests.identity.flows import messages_of, sign_in
from tests.personas import make_user

pytestmark = pytest.mark.django_db


def _local(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}"


def _saml_sign_in(client, idp, username):
    start = client.get("/identity/saml/login/")
    form = idp.answer(start["Location"], username)
    posted = client.post(form["action"], {k: v for k, v in form.items() if k != "action"})
    client.get(posted["Location"])
    assert "_auth_user_id" in client.session


def _asks_for_credentials(client, idp, username) -> bool:
    start = client.get("/identity/saml/login/")
    page = idp.browsers[username].get(start["Location"], timeout=10).text
    return 'action="/sso/login"' in page


def _refusals():
    return [
        e.data["detail"]["why"] for e in AuditEvent.objects.filter(action="identity.logout.refused")
    ]


@pytest.mark.requirement("P114")
def test_logging_out_of_a_saml_session_logs_out_at_the_idp(client, saml_sso):
    """Qualify's logout ends its session and sends a LogoutRequest for the subject
    to the IdP; the IdP ends its session and answers; the LogoutResponse is checked
    (a replay of it is refused, audited); the next sign-in asks for the password."""
    make_user("operator", roles.EMPLOYEE)
    _saml_sign_in(client, saml_sso, "operator")
    out = client.post(reverse("identity:logout"))
    assert "_auth_user_id" not in client.session
    assert out["Location"].startswith(saml_sso.base + "/slo/redirect?SAMLRequest=")
    at_idp = saml_sso.browsers["operator"].get(out["Location"], allow_redirects=False, timeout=10)
    assert at_idp.status_code == 302
    answer = _local(at_idp.headers["Location"])
    assert answer.startswith(reverse("identity:saml_slo") + "?SAMLResponse=")
    back = client.get(answer)
    assert back["Location"] == reverse("login")
    assert "Signed out of Qualify and of Example SAML IdP." in messages_of(back)
    logouts = saml_sso.control()["logouts"]
    assert any("received" in e and e["subject"] == "saml-operator" for e in logouts), logouts
    replay = client.get(answer)
    assert "not of the identity provider" in " ".join(messages_of(replay))
    assert any("answers no logout" in why for why in _refusals()), _refusals()
    assert _asks_for_credentials(client, saml_sso, "operator")


@pytest.mark.requirement("P114")
def test_a_logout_the_idp_starts_ends_the_qualify_session(client, saml_sso):
    """The IdP's signed LogoutRequest for the subject ends this browser's Qualify
    session and is answered with a successful LogoutResponse; an unsigned one is
    refused (400, audited) and the session stays."""
    make_user("operator", roles.EMPLOYEE)
    _saml_sign_in(client, saml_sso, "operator")
    unsigned = saml_sso.control(logout="operator", sign=False)["location"]
    refused = client.get(_local(unsigned))
    assert refused.status_code == 400
    assert "not signed by the identity provider" in refused.content.decode()
    assert any("not signed" in why for why in _refusals()), _refusals()
    assert "_auth_user_id" in client.session
    started = saml_sso.control(logout="operator")
    sent = started["logouts"][-1]["sent"]
    ended = client.get(_local(started["location"]))
    assert "_auth_user_id" not in client.session
    assert ended.status_code == 302
    assert ended["Location"].startswith(saml_sso.base + "/slo/redirect?SAMLResponse=")
    saml_sso.browsers["operator"].get(ended["Location"], timeout=10)
    assert {"answered": sent, "success": True} in saml_sso.control()["logouts"]


@pytest.mark.requirement("P115", "P53")
def test_oidc_rp_initiated_logout_ends_the_provider_session(client, sso):
    """Logout sends the browser to the provider's end_session_endpoint with the ID
    token as hint; the provider ends its session without asking and returns to the
    login page; the next sign-in asks for the credentials again."""
    make_user("operator", roles.EMPLOYEE)
    sign_in(client, sso, "operator")
    out = client.post(reverse("identity:logout"))
    assert "_auth_user_id" not in client.session
    query = parse_qs(urlparse(out["Location"]).query)
    assert out["Location"].startswith(sso.issuer + "/logout/")
    assert query["id_token_hint"][0].count(".") == 2
    at_provider = sso.browser("operator").get(out["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text[:300]
    assert at_provider.headers["Location"] == "http://testserver/accounts/login/"
    start = client.get("/identity/oidc/login/")
    again = sso.browser("operator").get(start["Location"], allow_redirects=False, timeout=10)
    assert again.status_code == 302
    assert "/login/" in again.headers["Location"]
    assert not again.headers["Location"].startswith("http://testserver")
