"""API token services. Tokens are made and revoked only from the command line
(`qualify token create|revoke`), by whoever runs the installation: actor=None."""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from qualify.accounts import roles
from qualify.accounts.services import user_create
from qualify.api.models import SCOPES, ApiToken
from qualify.audit import services as audit

TOKEN_PREFIX = "qfy_"

# What a scope lets the service account do is what these roles let a person do; the
# scope narrows it further per endpoint. A service account never signs (U1: may_sign
# is false for service accounts), whatever its roles.
SCOPE_ROLES = {
    "read": [roles.AUDITOR],
    "people-write": [roles.COORDINATOR],
    "documents-write": [roles.DOCUMENT_CONTROLLER],
    "executions-write": [roles.EMPLOYEE],
    "webhooks-manage": [],
}


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def parse_scopes(text: str | list[str]) -> list[str]:
    items = text.split(",") if isinstance(text, str) else text
    scopes = sorted({s.strip() for s in items if s.strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValidationError(
            {"scopes": f"Unknown or no scopes {unknown}; choose from {', '.join(SCOPES)}."}
        )
    return scopes


@transaction.atomic
def token_create(
    *, name: str, scopes: list[str], expires_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token with its own service account; returns (token row, the token),
    the token being shown once and stored only as its SHA-256."""
    name = (name or "").strip()
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValidationError({"name": "Use letters, digits, - and _ for the token name."})
    if ApiToken.objects.filter(name=name).exists():
        raise ValidationError({"name": f"A token named {name!r} exists; names are never reused."})
    scopes = parse_scopes(scopes)
    wanted_roles = sorted({role for s in scopes for role in SCOPE_ROLES[s]})
    user = user_create(
        actor=None,
        username=f"api-{name}",
        printed_name=f"API integration {name}",
        roles=wanted_roles,
        is_service_account=True,
    )
    if "webhooks-manage" in scopes:
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="api", codename="add_webhooksubscription"
            )
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(
        name=name,
        user=user,
        token_hash=hash_token(raw),
        prefix=raw[:10],
        scopes=scopes,
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_days) if expires_days else None,
    )
    token.full_clean()
    token.save()
    audit.record("api.token.created", token, actor=None, detail={"roles": wanted_roles})
    return token, raw


@transaction.atomic
def token_revoke(*, name: str, reason: str) -> ApiToken:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason is required to revoke a token."})
    token = ApiToken.objects.select_for_update().filter(name=name).first()
    if token is None:
        raise ValidationError({"name": f"No token named {name!r}."})
    if token.revoked_at is not None:
        raise ValidationError({"name": f"{name} was already revoked at {token.revoked_at}."})
    before = audit.state_of(token)
    token.revoked_at = timezone.now()
    token.revoke_reason = reason
    token.save(update_fields=["revoked_at", "revoke_reason"])
    audit.record("api.token.revoked", token, actor=None, before=before, reason=reason)
    return token


def token_for(raw: str) -> ApiToken | None:
    """The live token for a presented secret, or None (unknown, revoked, expired,
    or its service account deactivated)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if not token.user.is_active:
        return None
    return token


# How often a token's last use is written at most (issue 18: reads do not write).
LAST_USED_EVERY = dt.timedelta(minutes=1)


def token_used(token: ApiToken) -> bool:
    """Note when the token was last used, at most once a minute per token; True when
    this call wrote it.

    A use is no change of a GxP record, so it writes no event to the change trail
    and takes no lock of it: what the request changes is audited under the service
    account with the request id, and GxP records it opens go to the access log
    (qualify.audit.access). The token row was read just now, so a recent use is
    seen without a write; the conditional UPDATE keeps two processes that both saw
    an old time from writing twice in the same minute."""
    now = timezone.now()
    stale = now - LAST_USED_EVERY
    if token.last_used_at is not None and token.last_used_at > stale:
        return False
    changed = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=stale))
        .update(last_used_at=now)
    )
    if changed:
        token.last_used_at = now
    return bool(changed)
