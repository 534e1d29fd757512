"""P23: quiet refusals. Login messages never tell an outsider whether a user id
exists or is locked (the lock is shown only after the right password); refused logins
stay audited; wrong bearer tokens are throttled per client address; signed-in pages
and API responses are sent with Cache-Control: no-store."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from qualify.api.models import SCOPES
from qualify.api.tokens import token_create
from tests.accounts.helpers import events
from tests.personas import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P23")]


def log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def refusal(response) -> str:
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    return " ".join(response.context["form"].non_field_errors())


@pytest.fixture
def locked(employee, fail_logins):
    fail_logins(employee, 5)
    assert employee.is_locked
    return employee


def test_an_unknown_user_id_a_wrong_password_and_a_locked_account_read_the_same(
    client, locked, trainer
):
    unknown = refusal(log_in(client, "nobody-here", "a guess"))
    wrong = refusal(log_in(client, "trainer", "a guess"))
    locked_wrong = refusal(log_in(client, "employee", "a guess"))
    assert unknown == wrong == locked_wrong
    assert "locked after" not in locked_wrong


def test_the_lock_is_told_only_to_whoever_gives_the_right_password(client, locked):
    message = refusal(log_in(client, "employee", PASSWORD))
    assert "locked" in message
    assert "administrator" in message
    assert "_auth_user_id" not in client.session


def test_a_deactivated_account_reads_like_an_unknown_one(client, employee, admin):
    from qualify.accounts.services import user_deactivate

    user_deactivate(actor=admin, user=employee, reason="Left the company")
    assert refusal(log_in(client, "employee", PASSWORD)) == refusal(
        log_in(client, "nobody-here", PASSWORD)
    )


def test_refused_logins_of_a_locked_account_are_still_audited(client, locked):
    before = len(events("account.login.refused", locked))
    log_in(client, "employee", PASSWORD)
    log_in(client, "employee", "a guess")
    assert len(events("account.login.refused", locked)) == before + 2


def test_checking_a_locked_accounts_password_does_not_unlock_or_count(client, locked):
    count = locked.failed_login_count
    log_in(client, "employee", PASSWORD)
    locked.refresh_from_db()
    assert locked.is_locked
    assert locked.failed_login_count == count


def forgotten(client, asked: str):
    return client.post("/accounts/password/forgotten/", {"asked": asked})


def page_text(response) -> str:
    import re

    html = response.content.decode()
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)  # a fresh token each time
    return re.sub(r'value="[^"]*"', "", html)


def test_a_forgotten_password_answer_is_the_same_for_unknown_locked_and_known(
    client, locked, trainer, settings
):
    settings.QUALIFY_PASSWORD_LINK_RATE = 1000
    answers = [forgotten(client, asked) for asked in ("nobody-here", "employee", "trainer")]
    assert {r.status_code for r in answers} == {200}
    texts = {page_text(r) for r in answers}
    assert len(texts) == 1, "the answer differs between accounts"
    assert "locked" not in texts.pop()


# --- bearer tokens --------------------------------------------------------------


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def bearer(raw: str, address: str = "203.0.113.7") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_wrong_tokens_are_throttled_per_address_with_retry_after(settings, fresh_cache):
    settings.QUALIFY_API_TOKEN_FAILURES = "3/min"
    _, good = token_create(name="mes", scopes=list(SCOPES))
    guesser = bearer("qfy_wrong-guess")
    assert [guesser.get("/api/v1/ping/").status_code for _ in range(3)] == [401, 401, 401]
    refused = guesser.get("/api/v1/ping/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # While throttled, a right token from that address gets the same answer…
    assert bearer(good).get("/api/v1/ping/").status_code == 429
    # …and another address is not affected.
    assert bearer(good, "198.51.100.9").get("/api/v1/ping/").status_code == 200


def test_right_tokens_are_not_counted_as_failures(settings, fresh_cache):
    settings.QUALIFY_API_TOKEN_FAILURES = "2/min"
    _, good = token_create(name="mes", scopes=list(SCOPES))
    client = bearer(good)
    assert {client.get("/api/v1/ping/").status_code for _ in range(5)} == {200}


def test_the_throttle_lifts_when_the_window_passes(settings, fresh_cache, monkeypatch):
    from qualify.api.auth import FailedTokenThrottle

    settings.QUALIFY_API_TOKEN_FAILURES = "2/min"
    now = [1000.0]
    monkeypatch.setattr(FailedTokenThrottle, "timer", lambda self: now[0])
    _, good = token_create(name="mes", scopes=list(SCOPES))
    guesser = bearer("qfy_wrong-guess")
    guesser.get("/api/v1/ping/")
    guesser.get("/api/v1/ping/")
    assert bearer(good).get("/api/v1/ping/").status_code == 429
    now[0] += 61
    assert bearer(good).get("/api/v1/ping/").status_code == 200


# --- Cache-Control ----------------------------------------------------------------


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_signed_in_pages_are_not_stored_by_the_browser(client, employee):
    client.force_login(employee)
    page = client.get("/")
    assert page.status_code in (200, 302)
    assert no_store(page)
    assert "private" in page["Cache-Control"]


def test_api_responses_are_not_stored(fresh_cache):
    _, good = token_create(name="mes", scopes=list(SCOPES))
    assert no_store(bearer(good).get("/api/v1/ping/"))
    assert no_store(APIClient().get("/api/v1/ping/"))
