"""SAML 2.0 sign-in against a real pysaml2 IdP process (P58): SP-initiated, signed
assertions required, metadata exchanged both ways, attributes mapped; ForceAuthn at
signing with the AuthnInstant checked; bad answers refused and audited."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from qualify.accounts import roles
from qualify.audit.models import AuditEvent
from qualify.identity.models import ExternalIdentity, ReauthRequest
from qualify.signatures.models import Signature
from tests.identity.flows import press_reauthenticate
from tests.personas import make_user

pytestmark = pytest.mark.django_db


def saml_sign_in(client, idp, username):
    start = client.get("/identity/saml/login/")
    assert start.status_code == 302
    assert start["Location"].startswith(idp.base + "/sso/redirect?SAMLRequest=")
    form = idp.answer(start["Location"], username)
    posted = client.post(form["action"], {k: v for k, v in form.items() if k != "action"})
    assert posted.status_code == 302
    return client.get(posted["Location"]), form


def _refusals(action="identity.login.refused"):
    return [e.data["detail"]["why"] for e in AuditEvent.objects.filter(action=action)]


@pytest.mark.requirement("P58", "P53")
def test_saml_sign_in_links_by_name_id_and_maps_attributes(client, saml_sso):
    operator = make_user("operator", roles.EMPLOYEE)
    response, _ = saml_sign_in(client, saml_sso, "operator")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == operator.pk
    link = ExternalIdentity.objects.get(user=operator)
    assert link.provider == "saml"
    assert link.subject == "saml-operator"


@pytest.mark.requirement("P58")
def test_the_sp_metadata_names_the_assertion_consumer_service(client, saml_sso):
    metadata = client.get("/identity/saml/metadata/").content.decode()
    assert "AssertionConsumerService" in metadata
    assert "http://testserver/identity/saml/acs/" in metadata
    assert 'WantAssertionsSigned="true"' in metadata


@pytest.mark.requirement("P58")
@pytest.mark.parametrize(
    ("mode", "reason"),
    [("unsigned", "not signed"), ("wrong_audience", "another audience")],
)
def test_an_unsigned_or_misaddressed_assertion_is_refused(client, saml_sso, mode, reason):
    make_user("operator", roles.EMPLOYEE)
    saml_sso.control(mode=mode)
    response, _ = saml_sign_in(client, saml_sso, "operator")
    assert response["Location"] == "/accounts/login/"
    assert any(reason in why for why in _refusals()), _refusals()
    assert "_auth_user_id" not in client.session


@pytest.mark.requirement("P58")
def test_a_replayed_saml_response_is_refused(client, saml_sso):
    make_user("operator", roles.EMPLOYEE)
    _, form = saml_sign_in(client, saml_sso, "operator")
    client.logout()
    posted = client.post(form["action"], {k: v for k, v in form.items() if k != "action"})
    again = client.get(posted["Location"])
    assert again["Location"] == "/accounts/login/"
    assert any("replayed or unsolicited" in why for why in _refusals()), _refusals()


def _reauthenticate(client, idp, url):
    start = press_reauthenticate(client, url)
    assert start.status_code == 302
    form = idp.answer(start["Location"], "employee")
    posted = client.post(form["action"], {k: v for k, v in form.items() if k != "action"})
    return client.get(posted["Location"])


@pytest.mark.requirement("P58", "P55", "S1")
def test_signing_with_force_authn_keeps_the_authn_instant(client, saml_sso, reading):
    """ForceAuthn: the IdP asks for the password again; the signature's audit record
    keeps the SAML provider, the authentication context and the AuthnInstant."""
    _operator, _document, _requirement, assignment = reading
    saml_sign_in(client, saml_sso, "employee")
    url = reverse("web:employee_assignment", args=[assignment.pk])
    assert "Re-authenticate with Example SAML IdP to sign" in client.get(url).content.decode()
    back = _reauthenticate(client, saml_sso, url)
    assert "?reauth=" in back["Location"], back
    ticket = parse_qs(urlparse(back["Location"]).query)["reauth"][0]
    assert client.post(url, {"reauth_ticket": ticket}).status_code == 302
    signature = Signature.objects.get(signer__username="employee")
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    evidence = event.data["detail"]["authentication"]["reauthentication"]
    assert evidence["method"] == "saml"
    assert evidence["acr"] == "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
    assert evidence["auth_time"] >= evidence["requested_at"][:19]
    assert ReauthRequest.objects.get(ticket=ticket).redeemed_at is not None


@pytest.mark.requirement("P58", "P55")
def test_an_idp_that_ignores_force_authn_is_refused(client, saml_sso, reading):
    _operator, _document, _requirement, assignment = reading
    saml_sign_in(client, saml_sso, "employee")
    time.sleep(1.1)  # the AuthnInstant has whole seconds
    saml_sso.control(mode="ignore_force")
    url = reverse("web:employee_assignment", args=[assignment.pk])
    back = _reauthenticate(client, saml_sso, url)
    assert "reauth=" not in back["Location"]
    refusals = _refusals("identity.reauth.refused")
    assert any("ForceAuthn ignored" in why for why in refusals), refusals
    assert not Signature.objects.filter(signer__username="employee").exists()
