"""Authentication with lockout (U1): a locked or deactivated account never
authenticates; each wrong password or one-time code counts toward the lock; once a
person has enrolled an authenticator, the password alone is not enough.

Django's `authenticate(request, username=..., password=..., otp_token=...)` reaches
this backend, so the login page, the test client and any later entry point share one
policy. A user id is matched without regard to case, as it is unique that way (U1).
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django_otp import devices_for_user

from qualify.accounts.models import User
from qualify.accounts.passwords import local_password_disabled
from qualify.accounts.services import (
    record_failed_attempt,
    record_refused_login,
    record_successful_login,
)
from qualify.compiled import CompiledRead

# A user id no row has: the stand-in the read is compiled with.
SIGNED_IN_USER = CompiledRead(
    lambda pk: User._default_manager.select_related("person__site", "person__department").filter(
        pk=pk
    ),
    -987654321,
)


class LockoutAwareBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, otp_token=None, **kwargs):
        if not username or not password:
            return None
        user = User.objects.filter(username__iexact=username.strip()).first()
        if user is None or not self.user_can_authenticate(user):
            # Same cost as a real check: timing tells nothing about which user ids
            # exist or are locked. A locked account's password is checked (not
            # counted) so that the login page can tell its owner, and only its owner,
            # why they cannot sign in (P23).
            if user is not None and user.is_active and user.is_locked:
                right = check_password(password, user.password)
                if request is not None:
                    request.locked_account_with_right_password = right
            else:
                User().set_password(password)
            record_refused_login(username=username, user=user)
            return None
        if local_password_disabled(user):
            # Issue 16: this account signs in through the identity provider only.
            User().set_password(password)
            record_refused_login(username=username, user=user)
            return None
        if not user.check_password(password):
            self._count_failure(user, "login")
            return None
        devices = list(devices_for_user(user, confirmed=True))
        if devices:
            token = (otp_token or "").strip()
            if not token:
                # Not an attempt: the code was not given. The reply is the same as
                # for a wrong password, so it does not confirm the password.
                return None
            device = next((d for d in devices if d.verify_token(token)), None)
            if device is None:
                self._count_failure(user, "login: one-time code")
                return None
            user.otp_device = device  # for django_otp.login() after auth.login()
        record_successful_login(user=user)
        return user

    @staticmethod
    def _count_failure(user: User, context: str) -> None:
        # Committed on its own, whatever the caller's transaction does next.
        with transaction.atomic(durable=True):
            record_failed_attempt(user=user, context=context)

    def get_user(self, user_id):
        # The user of every signed-in request: their person, site and department come
        # in the same query, as the menu, the zone, the work count and the employee's
        # pages read them on every page; compiled once (P209).
        try:
            found = SIGNED_IN_USER.rows(int(user_id))
        except (TypeError, ValueError):
            return None
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        # has_perm's answer in one query (Django reads the user's and the groups'
        # permissions in two), kept on the user for the request as Django does.
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            rows = Permission.objects.all()
            if not user_obj.is_superuser:
                rows = rows.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in rows.order_by()
                .values_list("content_type__app_label", "codename")
                .distinct()
            }
        return user_obj._perm_cache

    def user_can_authenticate(self, user):
        # Also decides whether a session's user is still signed in on each request,
        # so locking an account ends its open sessions.
        return (
            super().user_can_authenticate(user)
            and not user.is_locked
            and not getattr(user, "is_service_account", False)
        )
