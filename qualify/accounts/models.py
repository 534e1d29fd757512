"""Accounts (U1): ids are never reused or deleted, every user has a printed name."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from qualify.audit.registry import audited

NEVER_DELETED = "user accounts are never deleted; deactivate them instead (U1)"


class NeverDeletedQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError(NEVER_DELETED)


class AccountManager(UserManager.from_queryset(NeverDeletedQuerySet)):
    pass


@audited
class User(AbstractUser):
    printed_name = models.CharField(
        max_length=200, help_text="Full name as printed on signatures and records."
    )
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    identity_verified_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    esig_acknowledged_at = models.DateTimeField(null=True, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    is_service_account = models.BooleanField(default=False)
    # U4: when the password was last set, for its maximum age (21 CFR 11.300(b)).
    # Empty for an account whose password was never set by its holder.
    password_changed_at = models.DateTimeField(null=True, blank=True)

    objects = AccountManager()

    class Meta:
        db_table = "accounts_user"
        constraints = [
            # U1: a user id is never reused, not even with other capitals ("JRoe" is
            # "jroe"). The services check first for a readable error; this index is
            # what holds under concurrent creation.
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message="This user id exists and is never reused.",
            ),
        ]
        permissions = [
            ("manage_accounts", "Can create, lock, unlock and deactivate accounts"),
        ]

    def __str__(self) -> str:
        return f"{self.printed_name} ({self.username})"

    def delete(self, *args, **kwargs):
        raise PermissionError(NEVER_DELETED)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def password_expired(self) -> bool:
        """U4: the password is older than QUALIFY_PASSWORD_MAX_AGE_DAYS (0: never)."""
        days = settings.QUALIFY_PASSWORD_MAX_AGE_DAYS
        if not days or self.password_changed_at is None or not self.has_usable_password():
            return False
        return timezone.now() >= self.password_changed_at + dt.timedelta(days=days)

    @property
    def may_sign(self) -> bool:
        """U1: identity verified and the e-signature policy acknowledged."""
        return (
            self.is_active
            and not self.is_locked
            and not self.is_service_account
            and self.identity_verified_at is not None
            and self.esig_acknowledged_at is not None
        )

    def get_full_name(self) -> str:
        return self.printed_name

    def audit_state(self) -> dict:
        # The password hash and login timestamps change without being GxP facts;
        # leaving them out keeps A4 verification about what an inspector reads.
        return {
            "username": self.username,
            "printed_name": self.printed_name,
            "email": self.email,
            "is_active": self.is_active,
            "is_superuser": self.is_superuser,
            "identity_verified_at": self.identity_verified_at,
            "identity_verified_by_id": self.identity_verified_by_id,
            "esig_acknowledged_at": self.esig_acknowledged_at,
            "locked_at": self.locked_at,
            "deactivated_at": self.deactivated_at,
            "is_service_account": self.is_service_account,
        }


@audited
class RoleException(models.Model):
    """U3: a QA approver's signed exception letting one account hold the administrator
    role together with named GxP roles. It is created only with the QA approver's
    signature (meaning "approved") and covers exactly the roles it names; ending it
    is an administrator's change with a reason."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_exceptions")
    roles = models.JSONField(help_text="The GxP roles allowed beside the administrator role.")
    reason = models.TextField()
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        db_table = "accounts_role_exception"
        ordering = ["granted_at", "pk"]

    def __str__(self) -> str:
        return (
            f"Role exception for {self.user.username}: administrator with {', '.join(self.roles)}"
        )

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def delete(self, *args, **kwargs):
        raise PermissionError("a signed role exception is never deleted; end it instead (U3)")

    def signed_content(self) -> dict:
        """What the QA approver signs: whose exception, for which roles, and why."""
        return {
            "user_id": self.user_id,
            "username": self.user.username,
            "roles": sorted(self.roles),
            "reason": self.reason,
            "requested_by_id": self.requested_by_id,
            "granted_at": self.granted_at,
        }


class PasswordHistory(models.Model):
    """U4: the hashes of a user's earlier passwords, so the last
    QUALIFY_PASSWORD_HISTORY of them cannot be chosen again. Hashes only, never
    the passwords; rows are kept, like the account they belong to."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="password_history")
    password = models.CharField(max_length=128)
    set_at = models.DateTimeField()

    class Meta:
        db_table = "accounts_password_history"
        ordering = ["-set_at", "-pk"]

    def __str__(self) -> str:
        return f"Earlier password of user {self.user_id} (until {self.set_at:%Y-%m-%d})"


class PasswordLinkRequest(models.Model):
    """A request for a forgotten-password link, kept to limit how often one can be
    asked (per user id or address asked for, and per client address), across every
    web process. Holds no answer to whether the account exists: `asked_digest` is
    a keyed hash of what was typed."""

    requested_at = models.DateTimeField(db_index=True)
    client_address = models.CharField(max_length=64, blank=True)
    asked_digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        db_table = "accounts_password_link_request"

    def __str__(self) -> str:
        return f"Password link asked for at {self.requested_at:%Y-%m-%d %H:%M}"


@audited
class Installation(models.Model):
    """What `qualify setup` recorded on the first run: the installation's name and
    the origin line its audit checkpoints carry (A3). One row; its presence is what
    makes a second `qualify setup` refuse."""

    name = models.CharField(max_length=200)
    checkpoint_origin = models.CharField(max_length=200)
    set_up_at = models.DateTimeField()
    set_up_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "accounts_installation"

    def __str__(self) -> str:
        return self.name

    def delete(self, *args, **kwargs):
        raise PermissionError("the installation record is never deleted")
