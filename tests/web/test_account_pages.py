"""Signing in and my account: lockout messages, idle expiry, password change, TOTP."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualify.accounts.models import User
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.requirement("U1")
def test_wrong_password_and_unknown_user_get_the_same_answer(client, employee):
    wrong = _login(client, employee.username, "wrong").content.decode()
    unknown = _login(client, "nobody-here", "wrong").content.decode()
    assert "Enter a correct user id and password" in wrong
    assert "Enter a correct user id and password" in unknown
    assert "locked" not in wrong.split("Repeated failures lock")[0].lower()


@pytest.mark.requirement("U1")
def test_the_fifth_wrong_password_locks_and_says_so(client, employee):
    for _ in range(settings.QUALIFY_LOCKOUT_THRESHOLD - 1):
        _login(client, employee.username, "wrong")
    page = _login(client, employee.username, "wrong").content.decode()
    employee.refresh_from_db()
    assert employee.is_locked
    # P23: a wrong password says nothing about the lock; only the owner's right
    # password learns why they cannot sign in, and gets no session.
    assert "This account is locked" not in page
    page = _login(client, employee.username, PASSWORD).content.decode()
    assert "This account is locked after 5 failed attempts" in page
    assert "_auth_user_id" not in client.session


@pytest.mark.requirement("U1")
def test_an_expired_session_says_why_at_sign_in(client, employee):
    client.force_login(employee)
    client.session.flush()  # what the idle expiry does server-side
    client.cookies[settings.SESSION_COOKIE_NAME] = "expired-session-key"
    response = client.get(reverse("web:employee_training"), follow=True)
    page = response.content.decode()
    assert f"Your session expired after {settings.QUALIFY_IDLE_MINUTES} minutes idle" in page


@pytest.mark.requirement("U1")
def test_logout_is_not_reported_as_expiry(client, employee):
    client.force_login(employee)
    client.post(reverse("logout"))
    page = client.get(LOGIN).content.decode()
    assert "session expired" not in page


@pytest.mark.requirement("U1")
def test_password_change_applies_the_policy(client, employee):
    client.force_login(employee)
    url = reverse("web:account_password")
    short = client.post(
        url, {"old_password": PASSWORD, "new_password": "short", "new_password_again": "short"}
    )
    assert "too short" in short.content.decode()
    wrong = client.post(
        url,
        {
            "old_password": "nope",
            "new_password": "A-much-longer-pass 77",
            "new_password_again": "A-much-longer-pass 77",
        },
    )
    assert "The password is not correct." in wrong.content.decode()
    done = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password": "A-much-longer-pass 77",
            "new_password_again": "A-much-longer-pass 77",
        },
    )
    assert done.status_code == 302
    employee.refresh_from_db()
    assert employee.check_password("A-much-longer-pass 77")
    # Still signed in after the change.
    assert client.get(reverse("web:account_overview")).status_code == 200


@pytest.mark.requirement("U1")
def test_totp_enrolment_shows_an_svg_qr_code_and_confirms(client, employee):
    client.force_login(employee)
    client.post(reverse("web:account_authenticator_start"))
    page = client.get(reverse("web:account_authenticator")).content.decode()
    assert "<svg" in page
    assert "QR code" in page
    device = TOTPDevice.objects.get(user=employee, confirmed=False)
    bad = client.post(reverse("web:account_authenticator"), {"token": "000000"})
    assert "The code is not correct" in bad.content.decode()
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    ok = client.post(reverse("web:account_authenticator"), {"token": code})
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


@pytest.mark.requirement("U1")
def test_account_pages_need_a_login(client):
    for name in ("web:account_overview", "web:account_password", "web:account_authenticator"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


@pytest.mark.requirement("U1")
def test_a_new_user_acknowledges_the_esig_policy(client, plant_free_user):
    client.force_login(plant_free_user)
    assert (
        "Acknowledge the electronic signature policy"
        in client.get(reverse("web:account_overview")).content.decode()
    )
    client.post(reverse("web:account_acknowledge"), {"password": PASSWORD})
    assert User.objects.get(pk=plant_free_user.pk).esig_acknowledged_at is not None


@pytest.fixture
def plant_free_user(db):
    from qualify.accounts import roles
    from tests.personas import make_user

    return make_user("newcomer", roles.EMPLOYEE, may_sign=False)


# --- Issue 11: first run, forgotten password, one-time link, ageing (U4, P27) ------


@pytest.mark.requirement("P27")
def test_the_login_page_of_an_empty_installation_says_to_run_setup(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert "qualify setup" in page


@pytest.mark.requirement("P27")
def test_the_login_page_of_a_set_up_installation_does_not(client, employee):
    assert "qualify setup" not in client.get("/accounts/login/").content.decode()


@pytest.mark.requirement("U4", "P23")
def test_the_forgotten_password_page_answers_alike_for_anyone(
    client, employee, django_capture_on_commit_callbacks
):
    from django.core import mail

    answers = []
    for asked in ("no-such-user", employee.username):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/password/forgotten/", {"asked": asked})
        assert response.status_code == 200
        page = re.sub(
            r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", response.content.decode()
        )
        answers.append(page.replace(asked, "ASKED"))
    assert answers[0] == answers[1]
    assert [m.to for m in mail.outbox] == [[employee.email]]


@pytest.mark.requirement("U4", "P23")
def test_the_forgotten_password_page_is_rate_limited(client, employee, settings):
    settings.QUALIFY_PASSWORD_LINK_RATE = 1
    client.post("/accounts/password/forgotten/", {"asked": employee.username})
    response = client.post("/accounts/password/forgotten/", {"asked": employee.username})
    assert response.status_code == 429
    assert "Too many links" in response.content.decode()


def _link_for(client, user, django_capture_on_commit_callbacks):
    from qualify.accounts import links
    from tests.accounts.onboarding_support import last_link, path_of

    with django_capture_on_commit_callbacks(execute=True):
        links.password_forgotten(asked=user.username)
    return path_of(last_link(user.email))


@pytest.mark.requirement("U4")
def test_the_link_page_hides_the_token_and_sets_the_password_once(
    client, employee, django_capture_on_commit_callbacks
):
    from tests.accounts.onboarding_support import STRONG

    link = _link_for(client, employee, django_capture_on_commit_callbacks)
    first = client.get(link)
    assert first.status_code == 302
    assert first["Location"] == "/accounts/password/set/"
    page = client.get("/accounts/password/set/").content.decode()
    assert employee.username in page
    weak = client.post("/accounts/password/set/", {"password": "abc", "password_again": "abc"})
    assert weak.status_code == 422
    assert "too short" in weak.content.decode()
    differ = client.post(
        "/accounts/password/set/", {"password": STRONG, "password_again": STRONG + "x"}
    )
    assert "The two passwords differ" in differ.content.decode()
    done = client.post("/accounts/password/set/", {"password": STRONG, "password_again": STRONG})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/login/"
    assert _login(client, employee.username, STRONG).status_code == 302
    client.logout()
    again = client.get(link, follow=True)
    assert "already been used" in again.content.decode()


@pytest.mark.requirement("U4")
def test_the_link_page_refuses_a_recent_password(
    client, employee, django_capture_on_commit_callbacks
):
    link = _link_for(client, employee, django_capture_on_commit_callbacks)
    client.get(link)
    response = client.post(
        "/accounts/password/set/", {"password": PASSWORD, "password_again": PASSWORD}
    )
    assert response.status_code == 422
    assert "not used before" in response.content.decode()


@pytest.mark.requirement("U4")
def test_an_expired_password_must_be_changed_before_anything_else(
    client, employee, settings, time_machine
):
    import datetime as dt

    from tests.accounts.onboarding_support import STRONG

    settings.QUALIFY_PASSWORD_MAX_AGE_DAYS = 30
    time_machine.move_to(employee.password_changed_at + dt.timedelta(days=31), tick=False)
    client.force_login(employee)
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/account/password/"
    assert client.get("/account/password/").status_code == 200
    api = client.get("/api/v1/ping/")
    assert api.status_code == 403
    client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password": STRONG, "new_password_again": STRONG},
    )
    assert client.get("/account/").status_code == 200
