"""Re-authentication at the identity provider in every signing dialog (issue 16, S1).

One mechanism for all signing forms: a form told what it signs (meaning and the
object its dialog is about) asks a person who signs through the provider for no
password; the dialog's button posts an *offer* to `identity:sign_reauth`, which
starts the forced re-authentication bound to exactly that pending signature
(`reauth.request_reauth`, meaning and record hash), and the provider's answer comes
back to the page, where the completed ticket is found for that same pending
signature and posted with the form. The signing service redeems it once
(`reauth.redeem`), for the meaning it signs and the object the view names, so a
ticket for one signature cannot sign another.

The offer is signed with the site's key (django.core.signing), names the signer, and
expires: a page can only offer what it shows, to whom it shows it.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.utils import timezone

from qualify.accounts.passwords import local_password_disabled
from qualify.audit.registry import object_type_of
from qualify.identity import reauth, saml
from qualify.identity.config import oidc_config
from qualify.identity.models import ReauthRequest
from qualify.signatures.meanings import get_meaning
from qualify.signatures.services import pending_binding

SESSION_SSO = "qualify_sso"
SALT = "qualify.identity.reauth-offer"
OFFER_MAX_AGE = 60 * 60  # an offer rendered more than an hour ago is not honoured


def provider_config(session: Any, user: Any = None) -> Any:
    """The configuration of the provider a person re-authenticates at, or None when
    none is configured: the one this session signed in through (SAML when it says
    so, else OpenID Connect: one settings read for a signing dialog).
    Without a session of theirs to go by (a co-signer on someone else's screen, the
    kiosk: session None), the provider `user`'s account is linked to, OpenID Connect
    first: their subject is known only there."""
    sso = (session or {}).get(SESSION_SSO) or {}
    if sso.get("provider") == saml.SAML:
        return saml.saml_config()
    if session is not None or user is None:
        return oidc_config()
    configs = [c for c in (oidc_config(), saml.saml_config()) if c is not None]
    linked = [c for c in configs if reauth.may_reauthenticate(user, c)]
    return (linked or configs or [None])[0]


def signs_through_provider(user: Any, session: Any) -> bool:
    """Does this person's signing dialog re-authenticate at the provider? When they
    signed in through it, or when local passwords are off for them; in both cases
    only when their account is linked to the provider."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not reauth.may_reauthenticate(user, provider_config(session, user)):
        return False
    return bool((session or {}).get(SESSION_SSO)) or local_password_disabled(user)


def provider_name(session: Any, user: Any = None) -> str:
    config = provider_config(session, user)
    return config.name if config else ""


def completed_ticket(*, user: Any, meaning: str, subject: Any) -> str:
    """The ticket of a completed, unspent, unexpired re-authentication for exactly
    this pending signature (meaning and the record as it is now), or ""."""
    code = get_meaning(meaning).code
    since = timezone.now() - dt.timedelta(minutes=settings.QUALIFY_REAUTH_MINUTES)
    found = (
        ReauthRequest.objects.filter(
            user=user,
            meaning=code,
            binding=pending_binding(meaning=code, obj=subject),
            authenticated_at__gte=since,
            redeemed_at__isnull=True,
            refused="",
        )
        .order_by("-authenticated_at")
        .values_list("ticket", flat=True)
        .first()
    )
    return found or ""


@dataclass(frozen=True)
class Offer:
    """What a signing dialog shows a person who signs through the provider."""

    provider: str  # the provider's name, for the words on the dialog
    meaning: str
    ticket: str  # a completed re-authentication for this signature, or ""
    token: str  # the signed request to start one
    signer: str = ""  # the co-signer's name, when not the person whose screen it is


def offer(
    *, user: Any, session: Any, meaning: str, subject: Any, return_url: str, signer: Any = None
) -> Offer:
    """The offer of the page `user` sees. `signer`: another person signing on this
    screen (the trainee on the trainer's on-the-job form), who re-authenticates at
    the provider as themselves; the ticket is theirs, not the session user's."""
    code = get_meaning(meaning).code
    data = {"u": user.pk, "m": code, "t": object_type_of(subject), "i": str(subject.pk)}
    data["r"] = return_url
    cosigner = signer is not None and signer.pk != user.pk
    if cosigner:
        data["s"] = signer.pk
    return Offer(
        provider=provider_name(None, signer) if cosigner else provider_name(session, user),
        meaning=code,
        ticket=completed_ticket(user=signer or user, meaning=code, subject=subject),
        token=signing.dumps(data, salt=SALT),
        signer=(signer.printed_name or signer.username) if cosigner else "",
    )


@dataclass(frozen=True)
class Pending:
    """The pending signature an offer names, read back by the start view."""

    meaning: str
    subject: Any
    return_url: str
    signer: Any  # who re-authenticates: the session's user, or the co-signer named


def read_offer(*, user: Any, token: str) -> Pending:
    """The pending signature a signed offer names, for this user; raises
    reauth.ReauthImpossible (audited) when it is not one this site made for them."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=OFFER_MAX_AGE)
    except signing.SignatureExpired:
        raise reauth._refused(
            None, user, "The signing page is too old; reload it and sign again."
        ) from None
    except signing.BadSignature:
        raise reauth._refused(
            None, user, "This re-authentication request was not made by a signing page."
        ) from None
    if data.get("u") != user.pk:
        raise reauth._refused(None, user, "This signing page was shown to another person.")
    subject = None
    try:
        model = apps.get_model(data["t"])
        subject = model._default_manager.filter(pk=data["i"]).first()
    except (LookupError, ValueError, KeyError):
        pass
    if subject is None:
        raise reauth._refused(None, user, "What this signature is about no longer exists.")
    signer = user
    if data.get("s"):
        signer = apps.get_model("accounts.User")._default_manager.filter(pk=data["s"]).first()
        if signer is None or not signer.is_active:
            raise reauth._refused(None, user, "The person who was to sign here has no account.")
    return Pending(
        meaning=data["m"],
        subject=subject,
        return_url=str(data.get("r") or "/"),
        signer=signer,
    )
