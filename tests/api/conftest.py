import pytest
from rest_framework.test import APIClient

from qualify.api.tokens import token_create
from tests.quality.plant import Plant


@pytest.fixture(autouse=True)
def _api_urls(settings):
    # The API alone: these tests do not depend on the pages being importable.
    settings.ROOT_URLCONF = "tests.api.urls"
    settings.QUALIFY_API_RATE = "10000/min"
    settings.QUALIFY_API_TOKEN_FAILURES = "10000/min"


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa):
    return Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)


@pytest.fixture
def make_token(db):
    counter = iter(range(1, 1000))

    def make(*scopes, name=None, expires_days=None):
        token, raw = token_create(
            name=name or f"int{next(counter)}", scopes=list(scopes), expires_days=expires_days
        )
        return token, raw

    return make


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def client_for(make_token):
    """An API client holding a fresh token with these scopes."""

    def make(*scopes):
        return bearer(make_token(*scopes)[1])

    return make


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client
