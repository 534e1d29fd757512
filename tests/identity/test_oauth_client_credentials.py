"""OAuth2 client credentials for integrations (issue 16, P57), on
django-oauth-toolkit's token endpoint: the access token carries the API's scopes
(never more than registered), expires, and acts as the integration's own service
account; issuing it is audited."""

import base64
import datetime as dt

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from qualify.api.oauth_clients import oauth_client_create
from qualify.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _token(client, integration, secret, **extra):
    basic = base64.b64encode(f"{integration.application.client_id}:{secret}".encode()).decode()
    return client.post(
        "/oauth/token/",
        {"grant_type": "client_credentials", **extra},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


@pytest.fixture
def mes():
    return oauth_client_create(name="mes", scopes=["read"])


@pytest.mark.requirement("P57")
def test_client_credentials_give_a_token_with_the_registered_scopes(client, mes):
    integration, secret = mes
    answer = _token(client, integration, secret)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["scope"] == "read"
    assert body["expires_in"] == 3600
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/people/", **bearer).status_code == 200
    refused = client.post("/api/v1/people/", {}, content_type="application/json", **bearer)
    assert refused.status_code == 403
    assert "scope 'people-write'" in refused.json()["detail"]
    issued = AuditEvent.objects.get(action="identity.oauth.token_issued")
    assert issued.data["actor_username"] == "oauth-mes"
    assert issued.data["detail"]["scopes"] == ["read"]
    # Only the token's SHA-256 is stored (RFC 9700 storage).
    assert AccessToken.objects.get().token == ""


@pytest.mark.requirement("P57")
def test_a_scope_not_registered_or_a_wrong_secret_gets_no_token(client, mes):
    integration, secret = mes
    wider = _token(client, integration, secret, scope="people-write")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    wrong = _token(client, integration, "not-the-secret")
    assert wrong.status_code == 401
    assert not AccessToken.objects.exists()


@pytest.mark.requirement("P57")
def test_an_expired_token_is_refused(client, mes):
    integration, secret = mes
    raw = _token(client, integration, secret).json()["access_token"]
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    answer = client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 401
