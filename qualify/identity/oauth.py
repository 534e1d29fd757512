"""OAuth2 client credentials for integrations (issue 16), on django-oauth-toolkit.

An integration is a DOT application (confidential, client-credentials grant) whose
user is the integration's own service account; it may ask only for the API scopes
it was registered with (`qualify oauth create-client`). The access token it gets at
/oauth/token/ is then used like a bearer token: the same scopes, an expiry
(QUALIFY_OAUTH_TOKEN_SECONDS), its changes audited under its service account, and
each issued token audited.

Why django-oauth-toolkit: the maintained OAuth2 server for Django; client
authentication, the token endpoint, expiry and hashed token storage (RFC 9700
storage) are its own.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator

from qualify.audit import services as audit
from qualify.identity.models import OAuthIntegration


def _integration(client: Any) -> OAuthIntegration | None:
    if client is None:
        return None
    found = OAuthIntegration.objects.filter(application=client, revoked_at__isnull=True).first()
    if found is None or not client.user or not client.user.is_active:
        return None
    return found


class Validator(OAuth2Validator):
    """Scopes are limited to those the integration was registered with."""

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        integration = _integration(client)
        return integration is not None and set(scopes) <= set(integration.scopes)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        integration = _integration(getattr(request, "client", None))
        return list(integration.scopes) if integration else []

    def save_bearer_token(self, token, request, *args, **kwargs):
        with transaction.atomic():
            super().save_bearer_token(token, request, *args, **kwargs)
            user = request.client.user
            audit.record(
                "identity.oauth.token_issued",
                object_type="accounts.user",
                object_id=user.pk,
                actor=user,
                detail={
                    "client_id": request.client.client_id,
                    "scopes": sorted(request.scopes or []),
                    "expires_in": token.get("expires_in"),
                },
            )


@dataclass(frozen=True)
class OAuthAccess:
    """What an OAuth2 access token grants, as `request.auth` of an API request."""

    name: str
    scopes: tuple[str, ...]
    expires: Any


def access_for(raw: str) -> tuple[Any, OAuthAccess] | None:
    """The service account and grant of a live access token, or None."""
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    token = (
        AccessToken.objects.select_related("application__user")
        .filter(token_checksum=checksum)
        .first()
    )
    if token is None or token.expires <= timezone.now():
        return None
    integration = _integration(token.application)
    if integration is None:
        return None
    scopes = tuple(s for s in (token.scope or "").split() if s in integration.scopes)
    return token.application.user, OAuthAccess(integration.name, scopes, token.expires)
