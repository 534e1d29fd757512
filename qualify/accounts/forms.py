"""The login form (U1): user id, password and, once enrolled, the one-time code.

The code field is always shown and optional: asking for it only after a correct
password would tell a guesser that the password was right.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm

from qualify.accounts.models import User


class LoginForm(AuthenticationForm):
    otp_token = forms.CharField(
        label="One-time code",
        required=False,
        max_length=10,
        help_text="The code from your authenticator app, if you have enrolled one.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Enter a correct user id and password, and the one-time code if you have "
            "enrolled an authenticator. Repeated failures lock the account."
        ),
        "locked": (
            "This account is locked after %(threshold)s failed attempts. An administrator "
            "must unlock it before you can sign in; ask your administrator."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "User id"

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = authenticate(
                self.request,
                username=username,
                password=password,
                otp_token=self.cleaned_data.get("otp_token") or None,
            )
            if self.user_cache is None:
                if self._is_locked(username):
                    # Told only for an account that is locked, which the lockout policy
                    # must tell its owner; a wrong password, an unknown user id and a
                    # deactivated account get the same answer.
                    raise forms.ValidationError(
                        self.error_messages["locked"],
                        code="locked",
                        params={"threshold": settings.QUALIFY_LOCKOUT_THRESHOLD},
                    )
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    @staticmethod
    def _is_locked(username: str) -> bool:
        return User.objects.filter(
            username__iexact=username.strip(), is_active=True, locked_at__isnull=False
        ).exists()
