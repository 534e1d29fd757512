"""Authentication with lockout (U1): a locked or deactivated account never
authenticates, and each wrong password counts toward the lock."""

from django.contrib.auth.backends import ModelBackend

from qualify.accounts.models import User
from qualify.accounts.services import record_failed_attempt, record_successful_login


class LockoutAwareBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no user-id probing by timing
            return None
        if user.is_locked or not user.is_active or user.is_service_account:
            return None
        if not user.check_password(password):
            record_failed_attempt(user=user, context="login")
            return None
        record_successful_login(user=user)
        return user

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not user.is_locked
