"""One-time links to set a password (U4): a new account's first password, an
administrator's reset and a forgotten password all end on the same page.

The token is Django's PasswordResetTokenGenerator (with a salt of its own): an HMAC
of the account's id, its password hash, its last login and the time it was made.
Hence:

- it expires after PASSWORD_RESET_TIMEOUT (QUALIFY_PASSWORD_LINK_HOURS);
- it is single use: setting the password changes the hash, so the link, and any
  other link sent before, stops working; an administrator's reset replaces the
  hash too, so every earlier link dies with the old password;
- nothing is stored: there is no table of live links to steal.

Hazards: the forgotten-password answer never says whether the account exists, in
words or in timing (the mail goes out after commit whatever the outcome, and the
same work is done for an unknown id); requests are limited per what was asked and
per client address in a table, so every web process shares the count.
"""

import hashlib
import hmac
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from qualify.accounts.models import PasswordLinkRequest, User
from qualify.accounts.passwords import apply_new_password
from qualify.audit import services as audit


class _Tokens(PasswordResetTokenGenerator):
    key_salt = "qualify.accounts.links.set-password"


tokens = _Tokens()

EXPIRED = "expired"
USED = "used"
INVALID = "invalid"

LINK_PROBLEMS = {
    EXPIRED: "This link has expired: links are valid for {hours} hours. Ask for a new one "
    "with “Forgotten password”, or ask your administrator.",
    USED: "This link has already been used, or a newer link replaced it. Sign in with "
    "your password, or ask for a new link with “Forgotten password”.",
    INVALID: "This link is not valid. Open the whole link from the email, or ask for a "
    "new one with “Forgotten password”.",
}

KINDS = {
    "welcome": (
        "[Qualify] Your account {username}: set your password",
        "An account was created for you in Qualify{installation}.\n\nUser id: {username}\n\n"
        "Set your password with this link (valid for {hours} hours, usable once):\n{link}\n\n"
        "Before your first electronic signature, your administrator records that your "
        "identity was verified, and you acknowledge the electronic signature policy on "
        "your account page.",
    ),
    "reset": (
        "[Qualify] Your password was reset",
        "An administrator reset the password of your Qualify account {username}.\n\n"
        "Choose a new password with this link (valid for {hours} hours, usable once):\n"
        "{link}\n",
    ),
    "forgotten": (
        "[Qualify] Set a new password",
        "Someone, probably you, asked for a new password for the Qualify account "
        "{username}.\n\nChoose one with this link (valid for {hours} hours, usable once):\n"
        "{link}\n\nIf you did not ask, ignore this mail: your password is unchanged.",
    ),
}


def uid_of(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def link_for(user: User) -> str:
    """The absolute one-time link for `user`, made now."""
    path = reverse("password_set")
    return f"{settings.QUALIFY_BASE_URL}{path}?u={uid_of(user)}&t={tokens.make_token(user)}"


def user_for_uid(uid: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uid or "").decode())
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk).first()


def link_problem(user: User | None, token: str) -> str | None:
    """None when the link is good; else why not: EXPIRED, USED or INVALID."""
    if user is None or not token or not user.is_active or user.is_service_account:
        return INVALID
    if tokens.check_token(user, token):
        return None
    try:
        timestamp = base36_to_int(token.split("-", 1)[0])
    except ValueError:
        return INVALID
    for secret in (tokens.secret, *tokens.secret_fallbacks):
        if constant_time_compare(tokens._make_token_with_timestamp(user, timestamp, secret), token):
            return EXPIRED  # made for this very password: only its age refuses it
    # The hash no longer matches: the password was set since (the link was used, or
    # a newer reset replaced it), or the token was never ours. Both read "used".
    return USED if timestamp <= tokens._num_seconds(tokens._now()) else INVALID


def problem_text(problem: str) -> str:
    return LINK_PROBLEMS[problem].format(hours=settings.QUALIFY_PASSWORD_LINK_HOURS)


def send_link(user: User | None, kind: str) -> None:
    """Mail the one-time link through the task queue after the caller's transaction
    commits: no mail for a change that rolled back, no mail server while a row is
    locked or while the person waits. `user=None` queues the same work for nothing,
    so a forgotten-password answer takes as long for an unknown user id."""
    from qualify.accounts.tasks import mail_password_link

    user_id = user.pk if user is not None else None
    transaction.on_commit(
        partial(mail_password_link.enqueue, user_id=user_id, kind=kind), robust=True
    )


def mail_link_now(user_id: int | None, kind: str) -> None:
    if user_id is None:
        return
    from qualify.accounts.models import Installation

    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    installation = Installation.objects.first()
    subject, body = KINDS[kind]
    values = {
        "username": user.username,
        "link": link_for(user),
        "hours": settings.QUALIFY_PASSWORD_LINK_HOURS,
        "installation": f" ({installation.name})" if installation else "",
    }
    send_mail(
        subject.format(**values),
        body.format(**values),
        from_email=None,
        recipient_list=[user.email],
    )


def require_email(user: User, field: str = "email") -> None:
    if not user.email:
        raise ValidationError(
            {field: f"{user.username} has no email address to receive the link; add one first."}
        )


def user_send_welcome(*, actor: User | None, user: User) -> User:
    """Mail a new account's set-password link (called in the creating transaction)."""
    require_email(user)
    audit.record(
        "account.password.link_sent",
        object_type="accounts.user",
        object_id=user.pk,
        actor=actor,
        detail={"kind": "welcome"},
    )
    send_link(user, "welcome")
    return user


@transaction.atomic
def user_password_reset(*, actor: User, user: User, reason: str) -> User:
    """An administrator resets a password, with a reason: the old password stops
    working at once and the holder receives a one-time link to choose a new one.
    The administrator never knows the new password. Not on one's own account
    (change it on "My account")."""
    if not actor.has_perm("accounts.manage_accounts"):
        raise PermissionDenied("Only an administrator can reset passwords.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason is required."})
    if user.pk == actor.pk:
        raise ValidationError(
            {"user": "Change your own password on your account page, not by a reset."}
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active or user.is_service_account:
        raise ValidationError({"user": f"{user.username} is not an active personal account."})
    require_email(user, "user")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit.record(
        "account.password.reset",
        object_type="accounts.user",
        object_id=user.pk,
        actor=actor,
        reason=reason,
    )
    send_link(user, "reset")
    return user


def password_set_with_link(*, uid: str, token: str, password: str) -> User:
    """The holder of a one-time link chooses a password (policy and history apply)."""
    user = user_for_uid(uid)
    problem = link_problem(user, token)
    if problem is not None:
        raise ValidationError({"link": problem_text(problem)})
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        # Re-checked under the lock: two submissions of one link, one wins.
        problem = link_problem(user, token)
        if problem is not None:
            raise ValidationError({"link": problem_text(problem)})
        if user.is_locked:
            raise ValidationError(
                {"link": "This account is locked; your administrator must unlock it first."}
            )
        apply_new_password(user, password, "password")
        audit.record(
            "account.password.set",
            object_type="accounts.user",
            object_id=user.pk,
            actor=user,
            detail={"by": "one-time link"},
        )
    return user


class TooManyRequests(Exception):
    """More forgotten-password links asked for than QUALIFY_PASSWORD_LINK_RATE allows."""


def _digest(asked: str) -> str:
    key = force_bytes(settings.SECRET_KEY)
    return hmac.new(key, asked.strip().casefold().encode(), hashlib.sha256).hexdigest()


def password_forgotten(*, asked: str, client_address: str = "") -> None:
    """Send a one-time link to the account whose user id or email is `asked`, if
    there is one that may sign in. The caller answers the same either way.

    Limited to QUALIFY_PASSWORD_LINK_RATE requests per hour for one user id or
    address asked for, and ten times that per client address: TooManyRequests,
    whether the account exists or not."""
    asked = (asked or "").strip()[:254]
    if not asked:
        raise ValidationError({"asked": "Enter your user id or email address."})
    now = timezone.now()
    digest = _digest(asked)
    hour_ago = now - timedelta(hours=1)
    with transaction.atomic():
        PasswordLinkRequest.objects.filter(requested_at__lt=now - timedelta(days=1)).delete()
        recent = PasswordLinkRequest.objects.filter(requested_at__gte=hour_ago)
        limit = settings.QUALIFY_PASSWORD_LINK_RATE
        if (
            recent.filter(asked_digest=digest).count() >= limit
            or (client_address and recent.filter(client_address=client_address).count()
                >= limit * 10)
        ):  # fmt: skip
            raise TooManyRequests
        PasswordLinkRequest.objects.create(
            requested_at=now, client_address=client_address[:64], asked_digest=digest
        )
        user = (
            User.objects.filter(Q(username__iexact=asked) | Q(email__iexact=asked))
            .filter(is_active=True, is_service_account=False, locked_at__isnull=True)
            .exclude(email="")
            .order_by("pk")
        )
        found = list(user[:2])
        # An address shared by two accounts names neither: ask with the user id.
        if len(found) == 1:
            audit.record(
                "account.password.link_sent",
                object_type="accounts.user",
                object_id=found[0].pk,
                actor=None,
                detail={"kind": "forgotten"},
            )
        send_link(found[0] if len(found) == 1 else None, "forgotten")
