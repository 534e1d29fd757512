"""The browser's part of the sign-in flows, for the tests: Qualify through Django's
test client, the provider through HTTP to its process."""

import re
from urllib.parse import parse_qs, urlparse

from django.urls import reverse


def sign_in(client, provider, username: str, *, next_url: str = ""):
    """Start at Qualify's SSO button, sign in at the provider, return Qualify's answer
    to the callback (and the callback address, to replay it)."""
    start = client.get("/identity/oidc/login/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start
    authorize = start["Location"]
    query = parse_qs(urlparse(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"]
    assert query["nonce"]
    assert query["state"]
    callback = provider.answer(authorize, username)
    return client.get(callback), callback


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages] if response.wsgi_request else []


OFFER = re.compile(r'name="reauth_for" value="([^"]+)"')


def press_reauthenticate(client, url: str):
    """Press the signing dialog's "Re-authenticate … to sign" on the page at `url`:
    its offer posted to the shared start (/identity/sign/reauth/). Qualify's answer
    (the redirect to the provider)."""
    offers = OFFER.findall(client.get(url).content.decode())
    assert len(offers) == 1, f"expected one re-authentication offer on {url}, found {len(offers)}"
    return client.post(reverse("identity:sign_reauth"), {"reauth_for": offers[0]})
