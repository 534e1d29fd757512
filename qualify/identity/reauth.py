"""Re-authentication at signing with single sign-on (issue 16, S1).

The signing dialog of a person who signs through the provider asks for a forced
re-authentication instead of a password: `request_reauth` records a request bound to
exactly one pending signature (meaning, object and the hash of its content, from
`signatures.services.pending_binding`) with a fresh single-use `state` and `nonce`,
and sends the browser to the provider with `prompt=login` and `max_age=0`.
`complete_reauth` takes the provider's answer: the ID token is validated (signature,
iss, aud, exp, nonce), its subject must be the signer's linked subject, and its
`auth_time` must not lie before the request (a provider that reused its session
instead of asking again is refused). `redeem` is what the signing service calls: it
spends the ticket once, for the same signer, meaning and binding, within
QUALIFY_REAUTH_MINUTES; a replay finds it spent.
"""

import datetime as dt
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.audit.registry import object_type_of
from qualify.identity import oidc
from qualify.identity.config import OidcConfig
from qualify.identity.models import ExternalIdentity, ReauthRequest
from qualify.signatures.meanings import get_meaning
from qualify.signatures.services import (
    Reauthentication,
    ReauthenticationRefused,
    pending_binding,
)

log = logging.getLogger("qualify.identity")


class ReauthImpossible(Exception):
    """Re-authentication cannot be done or was refused; the reason in words."""


def _refused(request: ReauthRequest | None, user: Any, why: str, **detail: Any) -> ReauthImpossible:
    log.warning("re-authentication for signing refused (user %s): %s", user.pk, why)
    if request is not None:
        ReauthRequest.objects.filter(pk=request.pk, refused="").update(refused=why)
    audit.record_refusal(
        "identity.reauth.refused",
        actor=user,
        why=why,
        object_type="accounts.user",
        object_id=user.pk,
        detail={
            **({"meaning": request.meaning, "ticket": request.ticket} if request else {}),
            **detail,
        },
    )
    return ReauthImpossible(why)


def may_reauthenticate(user: Any, config: OidcConfig | None) -> bool:
    return (
        config is not None
        and ExternalIdentity.objects.filter(provider=config.key, user=user).exists()
    )


def request_reauth(
    *,
    user: Any,
    config: Any,
    meaning: str,
    obj: Any,
    return_url: str,
    state: str = "",
) -> ReauthRequest:
    """Record the request for one pending signature; the caller redirects with
    `authorize_url_for`. Refused (audited) when the signer cannot re-authenticate."""
    m = get_meaning(meaning)
    if not may_reauthenticate(user, config):
        raise _refused(
            None,
            user,
            "Your account is not linked to the identity provider, so it cannot "
            "re-authenticate you for this signature. Ask an administrator.",
            meaning=m.code,
        )
    now = timezone.now()
    with transaction.atomic():
        request = ReauthRequest.objects.create(
            ticket=secrets.token_urlsafe(32),
            state=state or secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            user=user,
            provider=config.key,
            meaning=m.code,
            object_type=object_type_of(obj),
            object_id=str(obj.pk),
            binding=pending_binding(meaning=m.code, obj=obj),
            return_url=return_url,
            requested_at=now,
        )
        audit.record(
            "identity.reauth.requested",
            object_type="accounts.user",
            object_id=user.pk,
            actor=user,
            detail={
                "provider": config.key,
                "meaning": m.code,
                "object_type": request.object_type,
                "object_id": request.object_id,
                "binding": request.binding,
                "ticket": request.ticket,
            },
        )
    return request


def _pending(user: Any, state: str, provider: str | None = None) -> ReauthRequest:
    """The pending request a provider's answer names (its OIDC `state`, or the SAML
    request id it answers), unused; refused (audited) otherwise."""
    found = ReauthRequest.objects.filter(state=state or "-", user=user)
    if provider is not None:
        found = found.filter(provider=provider)
    request = found.first()
    if request is None:
        raise _refused(None, user, "This re-authentication does not belong to a pending signature.")
    if request.authenticated_at is not None or request.refused:
        raise _refused(request, user, "This re-authentication answer was already used (replayed).")
    return request


def _accept(
    request: ReauthRequest,
    user: Any,
    config: Any,
    *,
    subject: str,
    when: dt.datetime | None,
    acr: str,
    amr: list[str],
    missing_time: str,
    ignored: str,
) -> ReauthRequest:
    """The checks both protocols share, then the request marked authenticated once
    (audited): the answer names the signer's linked subject, and the provider's
    authentication time (OIDC `auth_time`, SAML `AuthnInstant`) is not before the
    request (less the configured skew). `missing_time` and `ignored` word the
    protocol's own refusals."""
    linked = ExternalIdentity.objects.filter(provider=config.key, user=user).first()
    if linked is None or subject != linked.subject:
        raise _refused(
            request, user, "The identity provider re-authenticated another person, not the signer."
        )
    if when is None:
        raise _refused(request, user, missing_time)
    earliest = request.requested_at.replace(microsecond=0) - dt.timedelta(
        seconds=config.auth_time_skew
    )
    if when < earliest:
        raise _refused(
            request,
            user,
            f"The identity provider did not ask for your credentials again: it reports a "
            f"sign-in at {when:%Y-%m-%d %H:%M:%S} UTC, before this signature was requested"
            f"{ignored}. Signing needs a fresh re-authentication.",
            auth_time=when.isoformat(),
        )
    with transaction.atomic():
        updated = ReauthRequest.objects.filter(pk=request.pk, authenticated_at__isnull=True).update(
            authenticated_at=timezone.now(),
            auth_time=when,
            acr=acr,
            amr=amr,
            subject=linked.subject,
        )
        if not updated:
            raise _refused(
                request, user, "This re-authentication answer was already used (replayed)."
            )
        audit.record(
            "identity.reauth.completed",
            object_type="accounts.user",
            object_id=user.pk,
            actor=user,
            detail={
                "ticket": request.ticket,
                "auth_time": when.isoformat(),
                "meaning": request.meaning,
            },
        )
    request.refresh_from_db()
    return request


def complete_reauth(*, user: Any, config: OidcConfig, http_request: Any) -> ReauthRequest:
    """Validate the provider's answer to a re-authentication request (OpenID Connect:
    the ID token validated by `oidc`, its nonce this request's, its `auth_time`)."""
    request = _pending(user, http_request.GET.get("state", ""))
    try:
        claims = oidc.claims_of_callback(config, http_request)
    except oidc.TokenRefused as error:
        why = str(error)
        if http_request.GET.get("error") in {"login_required", "interaction_required"}:
            why = "The identity provider could not re-authenticate you: " + why
        raise _refused(request, user, why) from None
    if claims.get("nonce") != request.nonce:
        raise _refused(request, user, "The ID token's nonce does not match this signature request.")
    auth_time = claims.get("auth_time")
    amr = claims.get("amr") or []
    return _accept(
        request,
        user,
        config,
        subject=str(claims.get("sub")),
        when=(
            dt.datetime.fromtimestamp(auth_time, tz=dt.UTC)
            if isinstance(auth_time, int | float)
            else None
        ),
        acr=str(claims.get("acr") or ""),
        amr=[str(a) for a in (amr if isinstance(amr, list) else [amr])],
        missing_time="The identity provider did not say when it authenticated you (no "
        "auth_time), so the re-authentication cannot be checked.",
        ignored="",
    )


def redeem(*, user: Any, ticket: str, meaning: str, binding: str) -> Reauthentication:
    """Spend a completed re-authentication for one signature (called by
    `signatures.services.authenticate_signer`, outside any transaction)."""
    request = ReauthRequest.objects.filter(ticket=ticket or "-").first()
    if request is not None and request.user_id != user.pk:
        raise ReauthenticationRefused(
            "This re-authentication belongs to another person, not the signer."
        )
    if request is None or request.authenticated_at is None:
        raise ReauthenticationRefused("No completed re-authentication for this signature.")
    if request.redeemed_at is not None:
        raise ReauthenticationRefused("This re-authentication was already used for a signature.")
    if request.meaning != meaning or request.binding != binding:
        raise ReauthenticationRefused(
            "This re-authentication was made for another signature (or the record changed "
            "since); re-authenticate for this one."
        )
    limit = dt.timedelta(minutes=settings.QUALIFY_REAUTH_MINUTES)
    if timezone.now() - request.authenticated_at > limit:
        raise ReauthenticationRefused(
            f"The re-authentication is older than {settings.QUALIFY_REAUTH_MINUTES} minutes; "
            "re-authenticate again."
        )
    with transaction.atomic(durable=True):
        spent = ReauthRequest.objects.filter(pk=request.pk, redeemed_at__isnull=True).update(
            redeemed_at=timezone.now()
        )
    if not spent:
        raise ReauthenticationRefused("This re-authentication was already used for a signature.")
    return Reauthentication(
        method=request.provider,
        provider=request.provider,
        subject=request.subject,
        auth_time=request.auth_time,
        requested_at=request.requested_at,
        acr=request.acr,
        amr=tuple(request.amr),
    )


def complete_saml_reauth(*, user: Any, config: Any, answer: Any) -> ReauthRequest:
    """The SAML counterpart of `complete_reauth`: the response answers the pending
    ForceAuthn request (pysaml2 checked InResponseTo, signature, audience and
    validity), names the signer's linked subject, and its AuthnInstant is not before
    the request."""
    request = _pending(user, answer.in_response_to, provider=config.key)
    return _accept(
        request,
        user,
        config,
        subject=answer.subject,
        when=answer.authn_instant,
        acr=answer.authn_context,
        amr=[],
        missing_time="The SAML assertion has no AuthnInstant.",
        ignored=" (ForceAuthn ignored)",
    )
