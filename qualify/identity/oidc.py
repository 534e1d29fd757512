"""The OpenID Connect relying party, on authlib: discovery, the authorization code
flow with PKCE (S256), the ID token's signature checked with the provider's JWKS and
its `iss`, `aud`, `exp`, `iat`, `sub` and `nonce` checked by authlib's ID-token
claims; `state` is single-use (authlib keeps it in the session and clears it).

Why authlib: it is the maintained library that does all of the above for Django in
a few calls, and its JOSE layer (joserfc) verifies the signatures; mozilla-django-oidc
checks no `auth_time` and django-allauth brings a whole account system we do not want.
"""

import secrets
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from joserfc.errors import JoseError
from requests import RequestException

from qualify.identity.config import OidcConfig

_clients: dict[OidcConfig, Any] = {}


class TokenRefused(Exception):
    """The provider's answer was refused; the reason in words."""


def client(config: OidcConfig) -> Any:
    """One authlib client per configuration (it caches discovery and the JWKS)."""
    found = _clients.get(config)
    if found is None:
        oauth = OAuth()
        found = oauth.register(
            "qualify",
            client_id=config.client_id,
            client_secret=config.client_secret,
            server_metadata_url=config.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": config.scopes, "code_challenge_method": "S256"},
        )
        _clients[config] = found
    return found


def authorize_redirect(config: OidcConfig, request: Any, redirect_uri: str, **extra: Any) -> Any:
    """Send the browser to the provider. `extra` may carry prompt, max_age, state and
    nonce (the re-authentication sets its own, so it can bind them)."""
    try:
        c = client(config)
        metadata = c.load_server_metadata()
    except RequestException as error:
        raise TokenRefused(f"The identity provider cannot be reached: {error}") from None
    if metadata.get("issuer") != config.issuer:
        raise TokenRefused(
            f"The provider's discovery names issuer {metadata.get('issuer')!r}, "
            f"not the configured {config.issuer!r}."
        )
    extra.setdefault("nonce", secrets.token_urlsafe(24))
    return c.authorize_redirect(request, redirect_uri, **extra)


def claims_of_callback(config: OidcConfig, request: Any) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and validate the ID token; return its
    claims. Raises TokenRefused with the reason."""
    c = client(config)
    options = {
        "iss": {"essential": True, "values": [config.issuer]},
        "sub": {"essential": True},
    }
    try:
        token = c.authorize_access_token(
            request, claims_options=options, leeway=settings.QUALIFY_CLOCK_SKEW_SECONDS
        )
    except OAuthError as error:
        text = error.description or error.error or str(error)
        if error.error == "mismatching_state":
            text = "The sign-in response was already used or does not belong to this browser."
        raise TokenRefused(f"The identity provider's answer was refused: {text}") from None
    except JoseError as error:
        raise TokenRefused(_jose_reason(error)) from None
    except RequestException as error:
        raise TokenRefused(f"The identity provider cannot be reached: {error}") from None
    userinfo = token.get("userinfo")
    if not userinfo:
        raise TokenRefused("The identity provider sent no ID token.")
    # Kept for logout: the provider ends its session without asking only when the
    # logout names the ID token it issued (id_token_hint).
    request.qualify_id_token = token.get("id_token", "")
    return dict(userinfo)


def _jose_reason(error: JoseError) -> str:
    claim = getattr(error, "claim", "") or ""
    name = type(error).__name__
    if name == "ExpiredTokenError":
        return "The ID token has expired."
    if claim in ("aud", "azp"):
        # authlib asks for azp when aud is not (only) this client.
        return "The ID token was issued for another audience (aud), not for Qualify."
    if claim == "sub" or (name == "MissingClaimError" and "sub" in str(error)):
        return "The ID token has no subject (sub) claim."
    if claim == "iss":
        return "The ID token comes from another issuer (iss)."
    if claim == "nonce":
        return "The ID token's nonce does not match this sign-in (a replayed token)."
    return f"The ID token was refused: {error}"


def logout_url(config: OidcConfig, id_token_hint: str, post_logout: str) -> str | None:
    """The provider's end-session address (RP-initiated logout), when it has one."""
    try:
        metadata = client(config).load_server_metadata()
    except RequestException:
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    from urllib.parse import urlencode

    query = {"post_logout_redirect_uri": post_logout, "client_id": config.client_id}
    if id_token_hint:
        query["id_token_hint"] = id_token_hint
    return f"{endpoint}?{urlencode(query)}"
