"""The password policy (U1, U4): strength, reuse history and age.

Every way a password is set (the holder's change, the one-time link, `qualify
setup`) goes through `apply_new_password()`, so none of them can skip the policy:

- strength: Django's configured validators, plus similarity to the printed name
  (Qualify keeps a person's name there, not in first and last name);
- reuse: the current password and the previous QUALIFY_PASSWORD_HISTORY - 1 are
  refused (so "the last N"); the history holds hashes only;
- age: `password_changed_at` is stamped, which QUALIFY_PASSWORD_MAX_AGE_DAYS reads
  (User.password_expired, PasswordExpiredMiddleware).

The caller holds the user's row lock and writes the audit event.
"""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import (
    UserAttributeSimilarityValidator,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.accounts.models import PasswordHistory, User


def validate_new_password(password: str, user: User, field: str) -> None:
    """The configured password policy (U1), reported on the form field it concerns."""
    messages: list[str] = []
    try:
        validate_password(password, user)
    except ValidationError as error:
        messages.extend(error.messages)
    # The configured similarity check looks at Django's name attributes (first and
    # last name), which Qualify leaves empty: a person's name is `printed_name`.
    try:
        UserAttributeSimilarityValidator(user_attributes=("printed_name",)).validate(password, user)
    except ValidationError as error:
        messages.extend(m for m in error.messages if m not in messages)
    if messages:
        raise ValidationError({field: messages})


def recent_hashes(user: User) -> list[str]:
    """The hashes a new password may not match: the current one and the ones before
    it, QUALIFY_PASSWORD_HISTORY in all (0: no history kept or checked)."""
    keep = settings.QUALIFY_PASSWORD_HISTORY
    if keep <= 0:
        return []
    hashes = [user.password] if user.has_usable_password() else []
    earlier = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)
    hashes.extend(earlier[: keep - len(hashes)])
    return hashes[:keep]


def check_not_reused(password: str, user: User, field: str) -> None:
    if any(check_password(password, encoded) for encoded in recent_hashes(user)):
        raise ValidationError(
            {
                field: f"Choose a password you have not used before: your last "
                f"{settings.QUALIFY_PASSWORD_HISTORY} passwords cannot be used again."
            }
        )


def apply_new_password(user: User, password: str, field: str) -> User:
    """Check the policy and reuse, keep the replaced hash in the history, set the
    new password and stamp its date. Saves the password fields only."""
    validate_new_password(password, user, field)
    check_not_reused(password, user, field)
    now = timezone.now()
    if user.has_usable_password() and settings.QUALIFY_PASSWORD_HISTORY > 0:
        PasswordHistory.objects.create(user=user, password=user.password, set_at=now)
    user.set_password(password)
    user.password_changed_at = now
    user.save(update_fields=["password", "password_changed_at"])
    return user


# Issue 16: the identity app keeps QUALIFY_LOCAL_PASSWORDS on its administrator page
# too (the environment still wins); it registers the reader of the value in force,
# since this lower layer cannot import it.
_local_passwords_reader: list = []


def set_local_passwords_reader(read) -> None:
    _local_passwords_reader[:] = [read]


def local_passwords_policy() -> str:
    """ "everyone" or "administrators", as in force."""
    if _local_passwords_reader:
        return _local_passwords_reader[0]()
    return settings.QUALIFY_LOCAL_PASSWORDS


def local_password_disabled(user) -> bool:
    """Issue 16: with QUALIFY_LOCAL_PASSWORDS=administrators only administrators
    (break-glass accounts) sign in or sign with a local password; everyone else goes
    through the identity provider (login refused, signing re-authenticates there)."""
    if local_passwords_policy() != "administrators":
        return False
    return not user.groups.filter(name="administrator").exists()
