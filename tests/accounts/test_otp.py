"""U1: optional TOTP. Enrolment is confirmed with a code and audited; once enrolled,
login asks for the code."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualify.accounts.services import otp_device_confirm, otp_device_create, user_otp_reset
from tests.accounts.helpers import code, enrol, events
from tests.personas import PASSWORD

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.requirement("U1"),
]

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def log_in(client, password=PASSWORD, otp_token=""):
    return client.post(
        "/accounts/login/",
        {"username": "employee", "password": password, "otp_token": otp_token},
    )


def test_an_enrolment_starts_unconfirmed_and_is_not_yet_asked_for(clock, employee):
    device = otp_device_create(actor=employee)
    assert device.confirmed is False
    assert device.config_url.startswith("otpauth://totp/")
    assert authenticate(None, username="employee", password=PASSWORD) == employee
    assert events("account.otp.enrolled") == []


def test_a_wrong_code_does_not_confirm_the_enrolment(clock, employee):
    device = otp_device_create(actor=employee)
    with pytest.raises(ValidationError) as refused:
        otp_device_confirm(actor=employee, device=device, token="000000")
    assert "token" in refused.value.message_dict
    device.refresh_from_db()
    assert not device.confirmed


def test_a_valid_code_confirms_the_enrolment_and_it_is_audited(clock, employee):
    device = enrol(employee)
    assert device.confirmed
    [enrolled] = events("account.otp.enrolled", employee)
    assert enrolled.actor_username == "employee"
    assert enrolled.data["detail"]["device"] == device.persistent_id


def test_nobody_confirms_another_persons_enrolment(clock, employee, trainer):
    device = otp_device_create(actor=employee)
    with pytest.raises(ValidationError):
        otp_device_confirm(actor=trainer, device=device, token=code(device))


def test_a_second_enrolment_needs_an_administrator_reset(clock, admin, employee):
    enrol(employee)
    with pytest.raises(ValidationError):
        otp_device_create(actor=employee)
    user_otp_reset(actor=admin, user=employee, reason="Phone lost, identity checked")
    assert not TOTPDevice.objects.filter(user=employee).exists()
    [reset] = events("account.otp.reset", employee)
    assert reset.reason == "Phone lost, identity checked"
    clock.shift(dt.timedelta(seconds=30))
    assert enrol(employee).confirmed


def test_only_an_administrator_resets_an_authenticator(clock, qa, employee):
    enrol(employee)
    with pytest.raises(PermissionDenied):
        user_otp_reset(actor=qa, user=employee, reason="Asked me to")


def test_once_enrolled_the_password_alone_does_not_log_in(clock, client, employee):
    enrol(employee)
    clock.shift(dt.timedelta(seconds=30))
    response = log_in(client)
    assert not response.context["user"].is_authenticated
    employee.refresh_from_db()
    assert employee.failed_login_count == 0  # a missing code is not a wrong one


def test_login_with_password_and_code_verifies_the_session(clock, client, employee):
    device = enrol(employee)
    clock.shift(dt.timedelta(seconds=30))
    response = log_in(client, otp_token=code(device))
    assert response.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert len(events("account.login.succeeded", employee)) == 1


def test_a_wrong_code_at_login_counts_toward_the_lock(clock, client, employee):
    device = enrol(employee)
    clock.shift(dt.timedelta(seconds=30))
    wrong = "000000" if code(device) != "000000" else "111111"
    assert not log_in(client, otp_token=wrong).context["user"].is_authenticated
    employee.refresh_from_db()
    assert employee.failed_login_count == 1
    [failed] = events("account.login.failed", employee)
    assert failed.data["detail"]["context"] == "login: one-time code"


def test_a_used_code_is_not_accepted_again(clock, client, employee):
    device = enrol(employee)  # spends the code of this 30 s period
    assert not log_in(client, otp_token=code(device)).context["user"].is_authenticated
