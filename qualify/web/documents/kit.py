"""Helpers shared by the document control, coordinator, quality and inspector pages:
role checks (403), the signing form (S1), the site's zone (T3), and service errors
shown on the form that caused them."""

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django_otp import devices_for_user

from qualify.signatures.services import Credentials, is_first_signing
from qualify.web import zones
from qualify.web.signing import ProviderSigning

# T3: one zone helper for every page (qualify.web.zones); the names stay for callers.
user_zone = zones.zone_of
local_input = zones.local_input


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the page's zone (T3), returned aware."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        self.zone = zone
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        if result.tzinfo is not None:
            result = result.replace(tzinfo=None)
        return result.replace(tzinfo=zoneinfo.ZoneInfo(self.zone)).astimezone(dt.UTC)


def set_zone(form: forms.Form, zone: str) -> None:
    for field in form.fields.values():
        if isinstance(field, LocalDateTimeField):
            field.zone = zone
            field.help_text = (
                field.help_text + " " if field.help_text else ""
            ) + f"Time in {zones.zone_label(zone)}."


class SigningForm(ProviderSigning, forms.Form):
    """S1: user id at the first signing in the session, always the password, and the
    one-time code when the signer has enrolled one. Given what it signs (meaning and
    the object the dialog is about), a person who signs through the identity
    provider re-authenticates there instead (issue 16)."""

    username = forms.CharField(label="User id", required=False)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, required=False)
    otp_token = forms.CharField(label="One-time code", required=False)

    def __init__(self, *args, user, session, meaning: str = "", subject=None, **kwargs):
        kwargs.setdefault("prefix", "sig")
        super().__init__(*args, **kwargs)
        self.session = session
        first = is_first_signing(user, session)
        if first:
            self.fields["username"].widget.attrs["autocomplete"] = "username"
            self.fields["username"].help_text = "Your first signature in this session."
        else:
            del self.fields["username"]
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        if not (first and list(devices_for_user(user, confirmed=True))):
            del self.fields["otp_token"]
        else:
            self.fields["otp_token"].widget.attrs.update(
                inputmode="numeric", autocomplete="one-time-code"
            )
        self.sign_through_provider(user=user, session=session, meaning=meaning, subject=subject)

    def credentials(self) -> Credentials:
        if self.reauth and hasattr(self, "cleaned_data"):
            return self.provider_credentials(self.session)
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return Credentials(
            username=data.get("username") or None,
            password=data.get("password") or "",
            otp_token=data.get("otp_token") or None,
            session=self.session,
        )


def show_errors(exc: ValidationError | PermissionDenied, *forms_: forms.Form) -> None:
    """Put a service's refusal on the field it names (in whichever form has it), else
    at the top of the first form."""
    main = forms_[0]
    if isinstance(exc, PermissionDenied):
        main.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = next((f for f in forms_ if name in f.fields), None)
            for error in errors:
                for message in error.messages:
                    if target is None:
                        main.add_error(None, f"{message}")
                    else:
                        target.add_error(name, message)
        return
    for message in exc.messages:
        main.add_error(None, message)
