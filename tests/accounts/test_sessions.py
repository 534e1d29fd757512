"""U1: idle sessions expire (15 minutes by default); the expiry slides with use."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualify.accounts.middleware import SLIDE_SECONDS
from tests.personas import PASSWORD

pytestmark = [pytest.mark.requirement("U1")]

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_the_session_lifetime_is_the_idle_timeout_renewed_with_use(settings):
    assert settings.QUALIFY_IDLE_MINUTES == 15
    assert settings.SESSION_COOKIE_AGE == settings.QUALIFY_IDLE_MINUTES * 60
    assert "qualify.accounts.middleware.SlidingSessionMiddleware" in settings.MIDDLEWARE


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


def _session_writes(client, url: str) -> int:
    # An API read with the session: no menu, whose work count (qualify.web.nav) is kept
    # in the session and would write it each minute on its own.
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return sum('UPDATE "django_session"' in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
@pytest.mark.requirement("P184")
def test_a_session_is_written_at_most_once_a_minute_and_ends_sooner_never_later(client, employee):
    with time_machine.travel(START, tick=False) as clock:
        client.post("/accounts/login/", {"username": "employee", "password": PASSWORD})
        clock.shift(dt.timedelta(seconds=SLIDE_SECONDS - 1))
        assert _session_writes(client, "/api/v1/ping/") == 0  # a read, within the minute
        clock.shift(dt.timedelta(seconds=1))
        assert _session_writes(client, "/api/v1/ping/") == 1  # the minute is up: it slides
        assert _session_writes(client, "/api/v1/ping/") == 0
        # Idle from here: the expiry counts from the last write, a minute at most
        # before the last request, so the session ends within the idle timeout.
        clock.shift(dt.timedelta(seconds=SLIDE_SECONDS - 1))
        assert _session_writes(client, "/api/v1/ping/") == 0
        clock.shift(dt.timedelta(minutes=15) - dt.timedelta(seconds=SLIDE_SECONDS - 1))
        assert not signed_in(client)
