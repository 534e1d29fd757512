"""Accounts (U1): ids are never reused or deleted, every user has a printed name."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

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
