"""The login form (U1): user id, password and, once enrolled, the one-time code.

The code field is always shown and optional: asking for it only after a correct
password would tell a guesser that the password was right.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm


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
                if getattr(self.request, "locked_account_with_right_password", False):
                    # Told only to whoever gave the locked account's right password:
                    # its owner must learn why they cannot sign in, an outsider must
                    # not learn that the user id exists or is locked (P23). A wrong
                    # password, an unknown user id, a deactivated or locked account
                    # all get the same answer.
                    raise forms.ValidationError(
                        self.error_messages["locked"],
                        code="locked",
                        params={"threshold": settings.QUALIFY_LOCKOUT_THRESHOLD},
                    )
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


NEW_PASSWORD = forms.PasswordInput(attrs={"autocomplete": "new-password"})


class PasswordForgottenForm(forms.Form):
    asked = forms.CharField(
        label="User id or email address",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )


class PasswordSetForm(forms.Form):
    """U4: the password chosen through a one-time link, typed twice."""

    password = forms.CharField(label="New password", strip=False, widget=NEW_PASSWORD)
    password_again = forms.CharField(label="New password again", strip=False, widget=NEW_PASSWORD)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data
