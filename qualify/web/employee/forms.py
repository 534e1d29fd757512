"""The signing dialog (S1): the meaning in words, the password every time, the user id
at the first signing in a session and the one-time code when enrolled."""

from django import forms
from django_otp import devices_for_user

from qualify.signatures.services import Credentials, is_first_signing
from qualify.web.signing import ProviderSigning


class SignForm(ProviderSigning, forms.Form):
    username = forms.CharField(
        label="User id",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label="One-time code",
        max_length=10,
        help_text="From your authenticator app.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, ask_username: bool = True, ask_code: bool | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_username:
            del self.fields["username"]
        if ask_code is False:
            del self.fields["otp_token"]
        elif ask_code is None:
            # Unknown signer (an attendee on the trainer's screen): optional.
            self.fields["otp_token"].required = False
            self.fields["otp_token"].help_text = "Only if you have enrolled an authenticator."

    @classmethod
    def for_signer(
        cls, user, session, *args, meaning: str = "", subject=None, **kwargs
    ) -> "SignForm":
        """The dialog for the signed-in person signing in their own session. Given
        what it signs (meaning, and the object the dialog is about), a person who
        signs through the identity provider re-authenticates there instead (S1)."""
        first = is_first_signing(user, session)
        enrolled = first and any(True for _ in devices_for_user(user, confirmed=True))
        form = cls(*args, ask_username=first, ask_code=enrolled, **kwargs)
        form.sign_through_provider(user=user, session=session, meaning=meaning, subject=subject)
        return form

    def credentials(self, session=None) -> Credentials:
        if self.reauth:
            return self.provider_credentials(session)
        data = self.cleaned_data
        return Credentials(
            username=data.get("username") or None,
            password=data["password"],
            otp_token=data.get("otp_token") or None,
            session=session,
        )
