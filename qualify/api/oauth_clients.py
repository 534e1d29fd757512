"""Registering an OAuth2 client-credentials integration (issue 16): a service account
with the roles its scopes stand for (as `tokens.token_create` gives a bearer token's),
a django-oauth-toolkit application owned by it, and the scopes it may ask for. Made
from the command line only (`qualify oauth create-client`), like bearer tokens."""

import secrets

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from qualify.accounts.services import user_create
from qualify.api.tokens import SCOPE_ROLES, parse_scopes
from qualify.audit import services as audit
from qualify.identity.models import OAuthIntegration


@transaction.atomic
def oauth_client_create(*, name: str, scopes: list[str] | str) -> tuple[OAuthIntegration, str]:
    """Returns the integration and its client secret, shown once (DOT keeps a hash)."""
    name = (name or "").strip()
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValidationError({"name": "Use letters, digits, - and _ for the client name."})
    if OAuthIntegration.objects.filter(name=name).exists():
        raise ValidationError({"name": f"An integration named {name!r} exists."})
    scopes = parse_scopes(scopes)
    roles = sorted({role for s in scopes for role in SCOPE_ROLES[s]})
    user = user_create(
        actor=None,
        username=f"oauth-{name}",
        printed_name=f"OAuth2 integration {name}",
        roles=roles,
        is_service_account=True,
    )
    if "webhooks-manage" in scopes:
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="api", codename="add_webhooksubscription"
            )
        )
    secret = secrets.token_urlsafe(40)
    application = Application.objects.create(
        name=name,
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )
    integration = OAuthIntegration.objects.create(
        application=application, name=name, scopes=scopes, created_at=timezone.now()
    )
    audit.record(
        "identity.oauth.client_created",
        user,
        actor=None,
        detail={"client_id": application.client_id, "scopes": scopes, "roles": roles},
    )
    return integration, secret
