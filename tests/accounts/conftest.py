import pytest
from django.contrib.auth import authenticate


@pytest.fixture
def fail_logins():
    """Wrong passwords through Django's authenticate(), as the login page sends them."""

    def _fail(user, times: int = 1) -> None:
        for _ in range(times):
            assert authenticate(None, username=user.username, password="not the password!") is None
        user.refresh_from_db()

    return _fail
