"""Account services (U1, U2). Administrators manage accounts but hold no GxP
signing permission, so managing people never lets them sign records.

Two hazards shape this module:

- Decisions about an account (is it locked? how many failures?) are taken on the
  row as stored, re-read under a row lock, never on a copy loaded earlier in the
  request: `request.user` can be minutes old.
- A wrong password counts toward the lock wherever it is asked for (login, signing,
  policy acknowledgement, password change), and the count is committed in its own
  transaction *before* the refusal is raised, so rolling back the refused change
  never rolls back the count. `durable=True` makes a caller that forgets this fail
  loudly instead of silently losing the count.

Segregation of administration (U3) is held here for roles: no administrator changes
their own roles, and the administrator role is never combined with a role that
signs GxP records unless an active, QA-signed RoleException names those roles. A
refusal of either kind is audited in a transaction of its own (A5), so rolling the
refused change back keeps the record of the attempt.
"""

from functools import partial

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualify.accounts import roles as role_rules
from qualify.accounts.models import RoleException, User
from qualify.accounts.passwords import apply_new_password, validate_new_password
from qualify.accounts.roles import ADMINISTRATOR, ROLES
from qualify.audit import services as audit


def _require_admin(actor: User) -> None:
    if not actor.has_perm("accounts.manage_accounts"):
        raise PermissionDenied("Only an administrator can manage accounts.")


def _require_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason is required."})
    return reason.strip()


def _check_roles(roles) -> None:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {', '.join(sorted(unknown))}"})


def _lock(user: User) -> User:
    """Re-read the account under a row lock, in place, inside the caller's transaction."""
    user.refresh_from_db(from_queryset=User.objects.select_for_update())
    return user


def _check_own_password(user: User, password: str, *, field: str, context: str) -> None:
    """Check a person's password outside any transaction; a wrong one counts (U1)."""
    user.refresh_from_db()
    if user.is_locked or not user.is_active:
        raise ValidationError({field: "This account is locked or deactivated."})
    if not password:
        raise ValidationError({field: "Enter your password."})
    if not user.check_password(password):
        with transaction.atomic(durable=True):
            record_failed_attempt(user=user, context=context)
        raise ValidationError({field: "The password is not correct."})


def user_create(
    *,
    actor: User | None,
    username: str,
    printed_name: str,
    email: str = "",
    password: str | None = None,
    roles: list[str] | tuple[str, ...] = (),
    is_service_account: bool = False,
) -> User:
    """Create an account. `actor=None` is reserved for installation and seeding."""
    if actor is not None:
        _require_admin(actor)
    conflicts = role_rules.segregation_conflicts(roles)
    if conflicts:
        # U3: a new account has no signed exception yet; create it with the
        # administrator role or the GxP roles, then ask QA for the exception. The
        # refusal is audited before any transaction of this service opens (A5).
        why = _combination_refused(conflicts)
        if actor is not None:
            audit.record_refusal(
                "account.roles.refused",
                actor=actor,
                why=why,
                object_type="accounts.user",
                object_id=f"new:{(username or '').strip()}",
                detail={"requested_roles": sorted(set(roles))},
            )
        raise ValidationError({"roles": why})
    return _create(
        actor=actor,
        username=username,
        printed_name=printed_name,
        email=email,
        password=password,
        roles=roles,
        is_service_account=is_service_account,
    )


@transaction.atomic
def _create(
    *,
    actor: User | None,
    username: str,
    printed_name: str,
    email: str,
    password: str | None,
    roles: list[str] | tuple[str, ...],
    is_service_account: bool,
) -> User:
    username = (username or "").strip()
    printed_name = (printed_name or "").strip()
    if not printed_name:
        raise ValidationError({"printed_name": "Every user needs a full printed name."})
    _check_roles(roles)
    if User.objects.filter(username__iexact=username).exists():
        # Never reused (U1): a deactivated user's id still belongs to that person.
        raise ValidationError({"username": f"The user id {username!r} exists and is never reused."})
    user = User(
        username=username,
        printed_name=printed_name,
        email=email,
        is_service_account=is_service_account,
    )
    if password is not None:
        validate_new_password(password, user, "password")
        user.set_password(password)
        user.password_changed_at = timezone.now()
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    audit.record("account.created", user, actor=actor, detail={"roles": sorted(roles)})
    return user


def _combination_refused(conflicts: list[str]) -> str:
    return (
        f"The administrator role cannot be held together with {role_rules.labels(conflicts)}: "
        "an administrator manages accounts and does not create, approve or sign GxP "
        "records. A QA approver must first sign an exception, with a reason, for this "
        "combination."
    )


class _Refused(Exception):
    """A refusal to audit (A5) once the refused change has rolled back."""

    def __init__(self, error: ValidationError, why: str, detail: dict) -> None:
        super().__init__(why)
        self.error, self.why, self.detail = error, why, detail


def active_role_exception(user: User) -> RoleException | None:
    return RoleException.objects.filter(user=user, ended_at__isnull=True).order_by("-pk").first()


def user_set_roles(*, actor: User, user: User, roles: list[str], reason: str) -> User:
    """Replace the roles of `user`, with a reason; the event keeps old and new (U3).

    Refused, and the refusal audited: an administrator changing their own roles, and
    the administrator role beside a signing role without an active QA-signed
    exception covering those roles."""
    try:
        return _set_roles(actor=actor, user=user, roles=roles, reason=reason)
    except _Refused as refused:
        audit.record_refusal(
            "account.roles.refused", actor=actor, why=refused.why, obj=user, detail=refused.detail
        )
        raise refused.error from None


@transaction.atomic
def _set_roles(*, actor: User, user: User, roles: list[str], reason: str) -> User:
    _require_admin(actor)
    reason = _require_reason(reason)
    _check_roles(roles)
    roles = sorted(set(roles))
    detail = {"requested_roles": roles}
    if user.pk == actor.pk:
        why = "Administrators cannot change their own roles; another administrator must."
        raise _Refused(ValidationError({"roles": why}), why, detail)
    _lock(user)
    old = sorted(user.groups.values_list("name", flat=True))
    conflicts = role_rules.segregation_conflicts(roles)
    exception = None
    if conflicts:
        exception = active_role_exception(user)
        if exception is None or not set(conflicts) <= set(exception.roles):
            why = _combination_refused(conflicts)
            raise _Refused(ValidationError({"roles": why}), why, detail)
    user.groups.set(Group.objects.filter(name__in=roles))
    audit.record(
        "account.roles.changed",
        user,
        actor=actor,
        before=audit.state_of(user),
        reason=reason,
        detail={
            "roles": [old, roles],
            "added": sorted(set(roles) - set(old)),
            "removed": sorted(set(old) - set(roles)),
            **({"role_exception": exception.pk} if exception is not None else {}),
        },
    )
    return user


@transaction.atomic
def role_exception_create(
    *, actor: User, user: User, roles: list[str], reason: str, approved_by: User
) -> RoleException:
    """Record a segregation exception (U3). Called only by the service that signs it
    with the QA approver's "approved" signature in the same transaction
    (qualify.org.access.role_exception_grant); on its own it approves nothing."""
    _require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "An exception needs a reason."})
    _check_roles(roles)
    wanted = sorted(set(roles))
    covered = role_rules.segregation_conflicts([ADMINISTRATOR, *wanted])
    if not covered or covered != wanted:
        raise ValidationError(
            {
                "roles": "Choose the roles that create, approve or sign GxP records that this "
                "person may hold beside the administrator role."
            }
        )
    if user.pk == actor.pk:
        raise ValidationError(
            {"user": "Another administrator asks for an exception on your account."}
        )
    if approved_by.pk in (actor.pk, user.pk):
        raise ValidationError(
            {"qa_username": "The QA approver is neither the requester nor the account's holder."}
        )
    _lock(user)
    if active_role_exception(user) is not None:
        raise ValidationError(
            {"roles": f"{user.username} has an exception in force; end it before a new one."}
        )
    exception = RoleException(
        user=user,
        roles=wanted,
        reason=reason,
        requested_by=actor,
        approved_by=approved_by,
        granted_at=timezone.now(),
    )
    exception.full_clean()
    exception.save()
    audit.record(
        "account.role_exception.granted",
        exception,
        actor=actor,
        detail={"user": user.username, "roles": wanted, "approved_by": approved_by.username},
    )
    return exception


@transaction.atomic
def role_exception_end(*, actor: User, exception: RoleException, reason: str) -> RoleException:
    """End an exception. Refused while the account still holds the combination it
    covers: remove the roles first, so no account keeps it without an exception."""
    _require_admin(actor)
    reason = _require_reason(reason)
    exception = RoleException.objects.select_for_update().get(pk=exception.pk)
    if exception.ended_at is not None:
        raise ValidationError({"reason": "This exception has already ended."})
    held = exception.user.groups.values_list("name", flat=True)
    if role_rules.segregation_conflicts(held):
        raise ValidationError(
            {
                "reason": f"{exception.user.username} still holds the administrator role with "
                f"{role_rules.labels(role_rules.segregation_conflicts(held))}; change the roles "
                "first."
            }
        )
    before = audit.state_of(exception)
    exception.ended_at = timezone.now()
    exception.ended_by = actor
    exception.end_reason = reason
    exception.save(update_fields=["ended_at", "ended_by", "end_reason"])
    audit.record(
        "account.role_exception.ended",
        exception,
        actor=actor,
        before=before,
        reason=reason,
        detail={"user": exception.user.username},
    )
    return exception


def _update(user: User, action: str, *, actor: User | None, reason: str, **fields) -> User:
    """Change fields of a user the caller has locked, and audit the change."""
    before = audit.state_of(user)
    for name, value in fields.items():
        setattr(user, name, value)
    user.save(update_fields=[*fields])
    audit.record(action, user, actor=actor, before=before, reason=reason)
    return user


@transaction.atomic
def user_update_profile(
    *,
    actor: User,
    user: User,
    reason: str,
    printed_name: str | None = None,
    email: str | None = None,
) -> User:
    """An administrator (or a provisioning client) changes the printed name or e-mail
    address of an account, with a reason; the event keeps old and new."""
    _require_admin(actor)
    reason = _require_reason(reason)
    _lock(user)
    fields = {}
    if (
        printed_name is not None
        and printed_name.strip()
        and printed_name.strip() != user.printed_name
    ):
        fields["printed_name"] = printed_name.strip()
    if email is not None and email.strip() != user.email:
        fields["email"] = email.strip()
    if not fields:
        return user
    return _update(user, "account.updated", actor=actor, reason=reason, **fields)


@transaction.atomic
def user_record_identity_verified(*, actor: User, user: User, reason: str) -> User:
    """U1: an administrator records that the person's identity was verified; the
    reason says how (e.g. "passport checked by HR")."""
    _require_admin(actor)
    reason = _require_reason(reason)
    if user.pk == actor.pk:
        raise ValidationError({"user": "Another administrator must verify your identity."})
    _lock(user)
    return _update(
        user,
        "account.identity.verified",
        actor=actor,
        reason=reason,
        identity_verified_at=timezone.now(),
        identity_verified_by=actor,
    )


def user_acknowledge_esig_policy(*, user: User, password: str) -> User:
    """U1: the person attests, with their password, that their electronic signature
    is the legally binding equivalent of their handwritten signature."""
    _check_own_password(
        user, password, field="password", context="e-signature policy acknowledgement"
    )
    with transaction.atomic():
        _lock(user)
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
    reason = _require_reason(reason)
    if user.pk == actor.pk:
        raise ValidationError({"user": "Administrators cannot deactivate their own account."})
    _lock(user)
    if not user.is_active:
        raise ValidationError({"user": f"{user.username} is already deactivated."})
    return _update(
        user,
        "account.deactivated",
        actor=actor,
        reason=reason,
        is_active=False,
        deactivated_at=timezone.now(),
    )


@transaction.atomic
def user_reactivate(*, actor: User, user: User, reason: str) -> User:
    _require_admin(actor)
    reason = _require_reason(reason)
    _lock(user)
    if user.is_active:
        raise ValidationError({"user": f"{user.username} is active."})
    return _update(
        user,
        "account.reactivated",
        actor=actor,
        reason=reason,
        is_active=True,
        deactivated_at=None,
    )


@transaction.atomic
def user_lock(*, actor: User, user: User, reason: str) -> User:
    """U4: an administrator locks an account (a lost badge, a suspected misuse): it
    cannot sign in or sign, and its open sessions end, until it is unlocked."""
    _require_admin(actor)
    reason = _require_reason(reason)
    if user.pk == actor.pk:
        raise ValidationError({"user": "Administrators cannot lock their own account."})
    _lock(user)
    if user.is_locked:
        raise ValidationError({"user": f"{user.username} is already locked."})
    return _update(user, "account.locked.by_administrator", actor=actor, reason=reason,
                   locked_at=timezone.now())  # fmt: skip


@transaction.atomic
def user_unlock(*, actor: User, user: User, reason: str) -> User:
    _require_admin(actor)
    reason = _require_reason(reason)
    _lock(user)
    if not user.is_locked:
        raise ValidationError({"user": f"{user.username} is not locked."})
    return _update(
        user,
        "account.unlocked",
        actor=actor,
        reason=reason,
        locked_at=None,
        failed_login_count=0,
    )


def user_change_password(*, user: User, old_password: str, new_password: str) -> User:
    """The person changes their own password; the new one must meet the policy (U1)."""
    _check_own_password(user, old_password, field="old_password", context="password change")
    with transaction.atomic():
        _lock(user)
        apply_new_password(user, new_password, "new_password")
        audit.record(
            "account.password.changed",
            object_type="accounts.user",
            object_id=user.pk,
            actor=user,
        )
    return user


# --- One-time codes (U1: optional TOTP) -------------------------------------------


def otp_device_create(*, actor: User) -> TOTPDevice:
    """Start TOTP enrolment: a new, unconfirmed device whose secret the person loads
    into an authenticator app (`device.config_url`, shown as a QR code). The device
    is not asked for at login or signing until `otp_device_confirm()`."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=actor, confirmed=True).exists():
            raise ValidationError(
                {"device": "You have an authenticator enrolled; an administrator resets it."}
            )
        # An unfinished enrolment was never in use: a new secret replaces it.
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        return TOTPDevice.objects.create(user=actor, name="Authenticator app", confirmed=False)


@transaction.atomic
def otp_device_confirm(*, actor: User, device: TOTPDevice, token: str) -> TOTPDevice:
    """Finish enrolment with a code from the app, which proves the secret was loaded.
    From then on login and the first signing in a session ask for a code."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.user_id != actor.pk or device.confirmed:
        raise ValidationError({"device": "This enrolment is not open for you."})
    if not device.verify_token((token or "").strip()):
        raise ValidationError({"token": "The code is not correct; enter the current code."})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(
        "account.otp.enrolled",
        object_type="accounts.user",
        object_id=actor.pk,
        actor=actor,
        detail={"device": device.persistent_id},
    )
    return device


@transaction.atomic
def user_otp_reset(*, actor: User, user: User, reason: str) -> User:
    """An administrator removes a person's authenticator (a lost phone); the person
    can then enrol a new one."""
    _require_admin(actor)
    reason = _require_reason(reason)
    removed = [d.persistent_id for d in TOTPDevice.objects.filter(user=user)]
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(
        "account.otp.reset",
        object_type="accounts.user",
        object_id=user.pk,
        actor=actor,
        reason=reason,
        detail={"devices": removed},
    )
    return user


# --- Login outcomes and lockout (U1) ----------------------------------------------


@transaction.atomic
def record_failed_attempt(*, user: User, context: str) -> User:
    """Count a failed attempt (wrong password, user id or code at login or signing);
    lock the account at the threshold, audit it and alert the administrators.

    Run it in a transaction of its own (`transaction.atomic(durable=True)`) before
    the refusal is raised, so the count and its events survive the refusal.
    """
    _lock(user)
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
        # After commit: no mail for a lock that rolled back, no mail server while
        # the row is locked; a mail failure is logged, it never undoes the lock.
        transaction.on_commit(partial(_alert_administrators, user.pk), robust=True)
    return user


@transaction.atomic
def record_refused_login(*, username: str, user: User | None) -> None:
    """Audit a login refused before any password check: an unknown user id, or an
    account that is locked, deactivated or a service account (U1). It does not count
    toward a lock: there is no account to lock, or it is already out of use."""
    with transaction.atomic():
        audit.record(
            "account.login.refused",
            object_type="accounts.user",
            object_id=user.pk if user is not None else "unknown",
            actor=None,
            detail={
                "attempted_user_id": username.strip()[:150],
                "why": "unknown user id" if user is None else "account cannot log in",
            },
        )


def record_successful_login(*, user: User) -> None:
    """A full authentication (password, and code when enrolled) ends the run of
    failures: the lock counts consecutive failed attempts."""
    reset_failed_attempts(user=user)
    audit.record(
        "account.login.succeeded", object_type="accounts.user", object_id=user.pk, actor=user
    )


def reset_failed_attempts(*, user: User) -> None:
    if user.failed_login_count:
        User.objects.filter(pk=user.pk, locked_at__isnull=True).update(failed_login_count=0)
        user.failed_login_count = 0


def _alert_administrators(user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    if not user.is_locked:  # unlocked again before the mail went out
        return
    recipients = list(
        User.objects.filter(groups__name=ADMINISTRATOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
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
