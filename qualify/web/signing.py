"""The signing forms' part of re-authentication at the identity provider (issue 16,
S1), shared by SignForm and SigningForm: a form told what it signs (`meaning`, the
object its dialog is about as `subject`) asks a person who signs through the
provider for the ticket of a completed re-authentication instead of user id,
password and one-time code. The dialog (`identity/_reauth_fields.html`, through
the `reauth_dialog` tag) offers the re-authentication or carries the ticket; the
signing service redeems it for exactly this pending signature."""

from django import forms

from qualify.identity.signing import provider_name, signs_through_provider
from qualify.signatures.services import Credentials

CREDENTIAL_FIELDS = ("username", "password", "otp_token")


class ProviderSigning:
    """Mixed into a signing form. `reauth` is None for a password signer."""

    reauth: dict | None = None

    def sign_through_provider(
        self, *, user, session, meaning: str, subject, cosigner: bool = False
    ) -> None:
        """`cosigner`: `user` signs on another person's screen (session=None: the
        session is not theirs), and re-authenticates there as themselves."""
        if subject is None or not signs_through_provider(user, session):
            return
        for name in CREDENTIAL_FIELDS:
            self.fields.pop(name, None)
        name = provider_name(session, user)
        self.fields["reauth_ticket"] = forms.CharField(
            widget=forms.HiddenInput,
            max_length=64,
            error_messages={
                "required": f"Re-authenticate with {name} first: this signature needs it."
            },
        )
        self.reauth = {
            "meaning": meaning,
            "subject": subject,
            "provider": name,
            "signer": user if cosigner else None,
        }

    def provider_credentials(self, session) -> Credentials:
        return Credentials(
            reauth_ticket=self.cleaned_data["reauth_ticket"],
            subject=self.reauth["subject"],
            session=session,
        )
