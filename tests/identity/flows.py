"""The browser's part of the sign-in flows, for the tests: Qualify through Django's
test client, the provider through HTTP to its process."""

from urllib.parse import parse_qs, urlparse


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
