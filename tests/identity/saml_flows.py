"""The browser's part of the SAML flows, for the tests: Qualify through Django's
test client, the pysaml2 IdP through HTTP to its process (tests/identity/saml_idp)."""

import base64
import re
import zlib
from urllib.parse import parse_qs, urlparse

from django.urls import reverse

from qualify.audit.models import AuditEvent

OFFER = re.compile(r'name="reauth_for" value="([^"]+)"')
TICKET = re.compile(r'<input type="hidden" name="([^"]*reauth_ticket)" value="([^"]+)"')


def authn_request_xml(location: str) -> str:
    """The AuthnRequest a redirect to the IdP carries (HTTP-Redirect: deflated, base64)."""
    raw = parse_qs(urlparse(location).query)["SAMLRequest"][0]
    return zlib.decompress(base64.b64decode(raw), -15).decode()


def post_answer(client, form: dict):
    """Post the IdP's answer to Qualify's assertion consumer service as the browser
    does, and follow Qualify's same-site continuation; Qualify's last answer."""
    posted = client.post(form["action"], {k: v for k, v in form.items() if k != "action"})
    assert posted.status_code == 302, posted.content
    return client.get(posted["Location"])


def sign_in(client, idp, username: str):
    """Sign in through the SAML IdP (links the account to it on the first time)."""
    start = client.get("/identity/saml/login/")
    assert start.status_code == 302, start.content
    return post_answer(client, idp.answer(start["Location"], username))


def links_and_leaves(client, idp, username: str, settings):
    """`username`'s account linked to the SAML IdP (signed in there once), signed out
    again; local passwords then only for break-glass administrators."""
    sign_in(client, idp, username)
    client.logout()
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"


def reauthenticate(client, idp, offer: str, as_whom: str):
    """Press a re-authentication offer, check the request forces authentication,
    answer at the IdP as `as_whom`; (Qualify's answer, the IdP's posted form)."""
    start = client.post(reverse("identity:sign_reauth"), {"reauth_for": offer})
    assert start.status_code == 302, start.content
    assert 'ForceAuthn="true"' in authn_request_xml(start["Location"])
    form = idp.answer(start["Location"], as_whom)
    return post_answer(client, form), form


def refusal_reason() -> str:
    return AuditEvent.objects.filter(action="identity.reauth.refused").last().data["detail"]["why"]
