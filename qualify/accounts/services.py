"""Account services (U1, U2). Administrators manage accounts but hold no GxP
signing permission, so managing people never lets them sign records."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from qualify.accounts.models import User
from qualify.accounts.roles import ADMINISTRATOR, ROLES
from qualify.audit import services as audit


def _require_admin(actor: User) -> None:
    if not actor.has_perm("accounts.manage_accounts"):
        raise PermissionDenied("Only an administrator can manage accounts.")


def _require_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason is required."})
    return reason.strip()


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    printed_name: str,
    email: str = "",
    password: str | None = None,
    roles: list[str] = (),
    is_service_account: bool = False,
) -> User:
    """Create an account. `actor=None` is reserved for installation and seeding."""
    if actor is not None:
        _require_admin(actor)
    if not printed_name.strip():
        raise ValidationError({"printed_name": "Every user needs a full printed name."})
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {', '.join(sorted(unknown))}"})
    if User.objects.filter(username__iexact=username).exists():
        # Never reused (U1): a deactivated user's id still belongs to that person.
        raise ValidationError({"username": f"The user id {username!r} exists and is never reused."})
    user = User(
        username=username,
        printed_name=printed_name.strip(),
        email=email,
        is_service_account=is_service_account,
    )
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    audit.record(
        "account.created", user, actor=actor, detail={"roles": sorted(roles)}
    )
    return user


@transaction.atomic
def user_set_roles(*, actor: User, user: User, roles: list[str], reason: str) -> User:
    _require_admin(actor)
    reason = _require_reason(reason)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {', '.join(sorted(unknown))}"})
    if user.pk == actor.pk and ADMINISTRATOR not in roles:
        raise ValidationError({"roles": "Administrators cannot remove their own administrator role."})
    old = sorted(user.groups.values_list("name", flat=True))
    user.groups.set(Group.objects.filter(name__in=roles))
    audit.record(
        "account.roles.changed",
        user,
        actor=actor,
        before=audit.state_of(user),
        reason=reason,
        detail={"roles": [old, sorted(roles)]},
    )
    return user


def _update(user: User, action: str, *, actor: User | None, reason: str, **fields) -> User:
    before = audit.state_of(user)
    for name, value in fields.items():
        setattr(user, name, value)
    user.save(update_fields=[*fields])
    audit.record(action, user, actor=actor, before=before, reason=reason)
    return user


@transaction.atomic
def user_record_identity_verified(*, actor: User, user: User, reason: str) -> User:
    """U1: an administrator records that the person's identity was verified."""
    _require_admin(actor)
    return _update(
        user,
        "account.identity.verified",
        actor=actor,
        reason=_require_reason(reason),
        identity_verified_at=timezone.now(),
        identity_verified_by=actor,
    )


@transaction.atomic
def user_acknowledge_esig_policy(*, user: User, password: str) -> User:
    """U1: the person attests, with their password, that their electronic signature
    is the legally binding equivalent of their handwritten signature."""
    if not user.check_password(password):
        raise ValidationError({"password": "The password is not correct."})
    return _update(
        user,
        "account.esig_policy.acknowledged",
        actor=user,
        reason="E-signature policy acknowledged by the signer",
        esig_acknowledged_at=timezone.now(),
    )


@transaction.atomic
def user_deactivate(*, actor: User, user: User, reason: str) -> User:
    _require_admin(actor)
    if user.pk == actor.pk:
        raise ValidationError({"user": "Administrators cannot deactivate their own account."})
    return _update(
        user,
        "account.deactivated",
        actor=actor,
        reason=_require_reason(reason),
        is_active=False,
        deactivated_at=timezone.now(),
    )


@transaction.atomic
def user_reactivate(*, actor: User, user: User, reason: str) -> User:
    _require_admin(actor)
    return _update(
        user,
        "account.reactivated",
        actor=actor,
        reason=_require_reason(reason),
        is_active=True,
        deactivated_at=None,
    )


@transaction.atomic
def user_unlock(*, actor: User, user: User, reason: str) -> User:
    _require_admin(actor)
    if not user.is_locked:
        raise ValidationError({"user": f"{user.username} is not locked."})
    return _update(
        user,
        "account.unlocked",
        actor=actor,
        reason=_require_reason(reason),
        locked_at=None,
        failed_login_count=0,
    )


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> User:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": "The current password is not correct."})
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(
        "account.password.changed",
        object_type="accounts.user",
        object_id=user.pk,
        actor=user,
    )
    return user


@transaction.atomic
def record_failed_attempt(*, user: User, context: str) -> User:
    """Count a failed password (login or signing, U1/S1); lock at the threshold.

    Callers run this in its own transaction, before any transaction that the
    refusal rolls back, so the count and its audit event survive the refusal.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    before = audit.state_of(user)
    user.failed_login_count += 1
    threshold = settings.QUALIFY_LOCKOUT_THRESHOLD
    just_locked = user.failed_login_count >= threshold and not user.is_locked
    if just_locked:
        user.locked_at = timezone.now()
    user.save(update_fields=["failed_login_count", "locked_at"])
    audit.record(
        "account.login.failed",
        object_type="accounts.user",
        object_id=user.pk,
        actor=None,
        detail={"context": context, "attempt": user.failed_login_count},
    )
    if just_locked:
        audit.record(
            "account.locked",
            user,
            actor=None,
            before=before,
            reason=f"{threshold} failed attempts ({context})",
        )
        transaction.on_commit(lambda: _alert_administrators(user))
    return user


def record_successful_login(*, user: User) -> None:
    if user.failed_login_count:
        User.objects.filter(pk=user.pk).update(failed_login_count=0)
    audit.record("account.login.succeeded", object_type="accounts.user", object_id=user.pk, actor=user)


def _alert_administrators(user: User) -> None:
    recipients = list(
        User.objects.filter(groups__name=ADMINISTRATOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return
    send_mail(
        subject=f"[Qualify] Account {user.username} locked",
        message=(
            f"The account {user.username} ({user.printed_name}) was locked at "
            f"{user.locked_at:%Y-%m-%d %H:%M:%S} UTC after "
            f"{settings.QUALIFY_LOCKOUT_THRESHOLD} failed attempts.\n"
            "Verify with the person before unlocking it, and record the reason."
        ),
        from_email=None,
        recipient_list=recipients,
    )
