"""U1: idle sessions expire (15 minutes by default); the expiry slides with use."""

import datetime as dt

import pytest
import time_machine

from tests.personas import PASSWORD

pytestmark = [pytest.mark.requirement("U1")]

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_the_session_lifetime_is_the_idle_timeout_renewed_on_every_request(settings):
    assert settings.QUALIFY_IDLE_MINUTES == 15
    assert settings.SESSION_COOKIE_AGE == settings.QUALIFY_IDLE_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def signed_in(client) -> bool:
    return client.get("/accounts/login/").context["user"].is_authenticated


@pytest.mark.django_db
def test_an_idle_session_expires_after_fifteen_minutes(client, employee):
    with time_machine.travel(START, tick=False) as clock:
        client.post("/accounts/login/", {"username": "employee", "password": PASSWORD})
        clock.shift(dt.timedelta(minutes=14))
        assert signed_in(client)
        clock.shift(dt.timedelta(minutes=14))  # 28 minutes in, but never idle for 15
        assert signed_in(client)
        clock.shift(dt.timedelta(minutes=15, seconds=1))
        assert not signed_in(client)
