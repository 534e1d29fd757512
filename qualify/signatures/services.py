"""The signing service (S1, S2; 21 CFR 11.100, 11.200, 11.300).

Signing has two steps. `authenticate_signer()` checks the credentials *before* the
caller opens its transaction, so a refused signature's audit event and its count
toward lockout are committed even though the signing fails; called inside a
transaction it raises RuntimeError at once, on the right password as on the wrong
one. `sign()` then runs inside the caller's transaction, next to the change the
signature approves, and uses the proof once, for the meaning it was checked for.
`sign_record()` does both for a caller that has nothing else to write:

    proof = authenticate_signer(actor=request.user, credentials=creds, meaning="approved")
    with transaction.atomic():
        ...change the record...
        sign(proof=proof, obj=record, meaning="approved")
"""

import datetime as dt
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django_otp import devices_for_user

from qualify.accounts.passwords import local_password_disabled
from qualify.accounts.services import record_failed_attempt, reset_failed_attempts
from qualify.audit import services as audit
from qualify.audit.canonical import sha256_hex, to_plain
from qualify.audit.registry import object_type_of, record_state
from qualify.signatures.meanings import Meaning, conflicts, get_meaning
from qualify.signatures.models import Signature

# The session remembers who completed a full signing in it (S1: later signings in
# the same unbroken session need at least the password). A logout or an idle
# expiry discards the session and so starts over.
SESSION_KEY = "qualify_esig_user"


class SignatureRefused(ValidationError):
    pass


class ReauthenticationRefused(Exception):
    """Raised by the redeemer of an identity provider's re-authentication, with the
    reason in words for the signer."""


@dataclass(frozen=True)
class Reauthentication:
    """A re-authentication at the signer's identity provider (issue 16), redeemed for
    exactly one pending signature. What the signature's audit record keeps of it."""

    method: str  # "oidc" or "saml"
    provider: str
    subject: str
    auth_time: dt.datetime
    requested_at: dt.datetime
    acr: str = ""
    amr: tuple[str, ...] = ()

    def as_detail(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "provider": self.provider,
            "subject": self.subject,
            "acr": self.acr,
            "amr": list(self.amr),
            "auth_time": self.auth_time.astimezone(dt.UTC).isoformat(),
            "requested_at": self.requested_at.astimezone(dt.UTC).isoformat(),
        }


# The identity app registers the function that redeems a re-authentication ticket:
# redeem(user=, ticket=, meaning=, binding=) -> Reauthentication, raising
# ReauthenticationRefused. A lower layer cannot import the identity app.
_reauth_redeemer: list[Any] = []


def set_reauth_redeemer(redeem: Any) -> None:
    _reauth_redeemer[:] = [redeem]


@dataclass
class Credentials:
    password: str = ""
    username: str | None = None
    otp_token: str | None = None
    session: MutableMapping[str, Any] | None = None
    # Signing through the identity provider instead of a password: the ticket of a
    # completed re-authentication and the object the signing dialog is about (what
    # the ticket was bound to with `pending_binding`).
    reauth_ticket: str | None = None
    subject: models.Model | None = None


@dataclass
class SignerProof:
    user: Any
    session: MutableMapping[str, Any] | None
    first_in_session: bool
    meaning: str = ""
    checked_at: dt.datetime = field(default_factory=timezone.now)
    used: bool = False
    components: tuple[str, ...] = ()
    reauthentication: Reauthentication | None = None

    def authentication_detail(self) -> dict[str, Any]:
        """S1 as kept in the signature's audit record: first signing in the session or
        a later one, and what was checked."""
        rule = (
            "first signing in the session: both components"
            if self.first_in_session
            else "later signing in the same session: one component"
        )
        detail: dict[str, Any] = {"session_rule": rule, "components": list(self.components)}
        if self.reauthentication is not None:
            detail["reauthentication"] = self.reauthentication.as_detail()
        return detail


def is_first_signing(user: Any, session: MutableMapping[str, Any] | None) -> bool:
    return session is None or session.get(SESSION_KEY) != user.pk


def _refuse(
    user: Any, meaning: Meaning, message: str, *, counts: bool, field_name: str | None = None
) -> None:
    """Audit the refusal and, for a wrong credential, count it toward the lock, in a
    transaction committed before the refusal is raised."""
    with transaction.atomic(durable=True):
        if counts:
            record_failed_attempt(user=user, context="signing")
        audit.record(
            "signature.refused",
            object_type="accounts.user",
            object_id=user.pk,
            actor=user,
            detail={"meaning": meaning.code, "why": message},
        )
    raise SignatureRefused({field_name: message} if field_name else message)


def _otp_devices(user: Any) -> list:
    return list(devices_for_user(user, confirmed=True))


def _require_no_open_transaction() -> None:
    # The same test Django applies to durable blocks: blocks opened by a TestCase
    # do not count, any other does.
    connection = transaction.get_connection()
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError(
            "authenticate_signer() runs before the transaction of the change it signs, "
            "so that a refused signature is still audited and counted (S1, U1)"
        )


def authenticate_signer(*, actor: Any, credentials: Credentials, meaning: str) -> SignerProof:
    """Check who is signing, with what, before any GxP write (S1, S2, U1)."""
    m = get_meaning(meaning)
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Only a signed-in person can sign; a token never signs.")
    _require_no_open_transaction()
    # Lock and policy state as stored now, not as loaded at the start of the request.
    actor.refresh_from_db()
    if actor.is_locked:
        _refuse(actor, m, "The account is locked.", counts=False)
    if not actor.may_sign:
        _refuse(
            actor,
            m,
            "This account may not sign yet: identity verification and the e-signature "
            "policy acknowledgement must both be recorded first.",
            counts=False,
        )
    if actor.is_superuser:
        _refuse(
            actor,
            m,
            "A superuser account cannot sign: the authority to sign comes from roles.",
            counts=False,
        )
    if not actor.has_perm(m.permission):
        _refuse(
            actor, m, f"You are not permitted to sign with the meaning '{m.label}'.", counts=False
        )
    first = is_first_signing(actor, credentials.session)
    if credentials.reauth_ticket:
        return _redeem_reauthentication(actor, m, credentials, first=first)
    if local_password_disabled(actor):
        _refuse(
            actor,
            m,
            "Sign by re-authenticating with your identity provider: local passwords are "
            "turned off for your account.",
            counts=False,
        )
    username = (credentials.username or "").strip()
    if first and not username:
        raise SignatureRefused(
            {"username": "Enter your user id: this is your first signature in this session."}
        )
    if not credentials.password:
        raise SignatureRefused({"password": "Enter your password to sign."})
    devices = _otp_devices(actor) if first else []
    token = (credentials.otp_token or "").strip()
    if devices and not token:
        raise SignatureRefused({"otp_token": "Enter the one-time code from your authenticator."})
    if first and username.casefold() != actor.username.casefold():
        _refuse(
            actor,
            m,
            "The user id does not match the signed-in person.",
            counts=True,
            field_name="username",
        )
    if not actor.check_password(credentials.password):
        _refuse(actor, m, "The password is not correct.", counts=True, field_name="password")
    if devices and not any(device.verify_token(token) for device in devices):
        _refuse(actor, m, "The one-time code is not correct.", counts=True, field_name="otp_token")
    reset_failed_attempts(user=actor)
    components = ("user id", "password") if first else ("password",)
    return SignerProof(
        user=actor,
        session=credentials.session,
        first_in_session=first,
        meaning=m.code,
        components=(*components, "one-time code") if devices else components,
    )


def pending_binding(*, meaning: str, obj: models.Model) -> str:
    """The SHA-256 naming one pending signature: its meaning and the object the
    signing dialog is about with the hash of its content. A re-authentication is
    bound to it when requested and redeemed only for the same value, so it signs
    nothing else, and nothing once that object has changed."""
    return sha256_hex(
        {
            "meaning": get_meaning(meaning).code,
            "object_type": object_type_of(obj),
            "object_id": str(obj.pk),
            "content_hash": content_hash(obj),
        }
    )


def _redeem_reauthentication(
    actor: Any, m: Meaning, credentials: Credentials, *, first: bool
) -> SignerProof:
    """S1 with single sign-on: the provider re-authenticated the signer (both
    components at the provider, forced by the request) for exactly this pending
    signature; the ticket is spent here, so a replay finds it spent."""
    if credentials.subject is None:
        raise RuntimeError("a re-authentication ticket is redeemed for a named subject")
    if not _reauth_redeemer:
        _refuse(actor, m, "Signing through an identity provider is not configured.", counts=False)
    binding = pending_binding(meaning=m.code, obj=credentials.subject)
    try:
        evidence = _reauth_redeemer[0](
            user=actor, ticket=credentials.reauth_ticket, meaning=m.code, binding=binding
        )
    except ReauthenticationRefused as refused:
        _refuse(actor, m, str(refused), counts=False)
    return SignerProof(
        user=actor,
        session=credentials.session,
        first_in_session=first,
        meaning=m.code,
        components=(f"re-authentication at {evidence.provider}",),
        reauthentication=evidence,
    )


def signed_content(obj: models.Model) -> dict[str, Any]:
    custom = getattr(obj, "signed_content", None)
    return to_plain(custom() if custom is not None else record_state(obj))


def content_hash(obj: models.Model) -> str:
    return sha256_hex(signed_content(obj))


def signatures_of(obj: models.Model) -> models.QuerySet[Signature]:
    return Signature.objects.filter(
        object_type=object_type_of(obj), object_id=str(obj.pk)
    ).order_by("signed_at", "pk")


def _check_segregation(user: Any, obj: models.Model, m: Meaning) -> None:
    for other in signatures_of(obj).filter(signer=user):
        if other.meaning == m.code:
            raise SignatureRefused(f"You have already signed this record as '{m.label}'.")
        if conflicts(other.meaning, m.code):
            raise SignatureRefused(
                f"You signed this record as '{other.meaning_label}' and so cannot also sign it "
                f"as '{m.label}'."
            )
    domain_check = getattr(obj, "signature_conflict", None)
    if domain_check is not None:
        problem = domain_check(user, m.code)
        if problem:
            raise SignatureRefused(problem)


def sign(*, proof: SignerProof, obj: models.Model, meaning: str, comment: str = "") -> Signature:
    """Apply the signature inside the caller's transaction."""
    m = get_meaning(meaning)
    user = proof.user
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sign() runs inside the transaction of the change it signs")
    if proof.meaning != m.code:
        # The permission was checked for the proof's meaning, not this one (S2).
        raise RuntimeError(f"the proof was checked for {proof.meaning!r}, not {m.code!r}")
    if proof.used:
        # S1: every signature asks at least for the password.
        raise RuntimeError("a signer's proof signs once; authenticate again for the next")
    proof.used = True
    _check_segregation(user, obj, m)
    signature = Signature.objects.create(
        signer=user,
        username=user.username,
        printed_name=user.printed_name,
        signed_at=timezone.now(),
        meaning=m.code,
        object_type=object_type_of(obj),
        object_id=str(obj.pk),
        content_hash=content_hash(obj),
        comment=comment,
    )
    audit.record(
        "signature.applied",
        signature,
        actor=user,
        detail={
            "manifestation": signature.manifestation,
            "authentication": proof.authentication_detail(),
        },
    )
    if proof.session is not None:
        proof.session[SESSION_KEY] = user.pk
    return signature


def sign_record(
    *, actor: Any, obj: models.Model, meaning: str, credentials: Credentials, comment: str = ""
) -> Signature:
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=meaning)
    with transaction.atomic():
        return sign(proof=proof, obj=obj, meaning=meaning, comment=comment)
