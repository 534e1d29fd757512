"""Helpers for account and signature tests."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualify.accounts.services import otp_device_confirm, otp_device_create
from qualify.audit.models import AuditEvent


def events(action: str, user=None) -> list[AuditEvent]:
    """The audit events of one action, optionally those about one account."""
    qs = AuditEvent.objects.filter(action=action)
    if user is not None:
        qs = qs.filter(object_type="accounts.user", object_id=str(user.pk))
    return list(qs)


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The device's one-time code now (or `steps_ahead` periods of 30 s later), as the
    person's authenticator app computes it."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{value:0{device.digits}d}"


def enrol(user) -> TOTPDevice:
    """Enrol an authenticator through the real services. The code that confirmed it
    is spent: the next one accepted belongs to a later 30 s period."""
    device = otp_device_create(actor=user)
    return otp_device_confirm(actor=user, device=device, token=code(device))
