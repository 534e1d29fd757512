"""P6: tokens are service accounts, hashed, scoped, expiring, revocable, audited,
and never sign (S1)."""

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from qualify.api.models import ApiToken
from qualify.audit.models import AuditEvent
from qualify.signatures.services import Credentials, SignatureRefused, authenticate_signer
from tests.api.conftest import bearer, session

pytestmark = pytest.mark.requirement("P6")


def test_cli_prints_the_token_once_on_its_last_line_and_stores_its_hash(db):
    out = StringIO()
    call_command("token", "create", "mes", "--scopes", "read,executions-write", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(name="mes")
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values_list().get())
    assert token.user.is_service_account
    assert token.scopes == ["executions-write", "read"]
    assert bearer(raw).get("/api/v1/ping/").json()["username"] == "api-mes"


def test_revoked_token_is_refused_with_a_problem(db):
    out = StringIO()
    call_command("token", "create", "hr", "--scopes", "read", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    call_command("token", "revoke", "hr", "--reason", "HR system replaced", stdout=StringIO())
    response = bearer(raw).get("/api/v1/ping/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert AuditEvent.objects.filter(action="api.token.revoked").count() == 1


def test_expired_token_is_refused(make_token):
    token, raw = make_token("read", expires_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert bearer(raw).get("/api/v1/ping/").status_code == 401


def test_missing_or_malformed_credentials_are_401(db):
    assert bearer("").get("/api/v1/ping/").status_code == 401
    assert bearer("qfy_unknown").get("/api/v1/ping/").status_code == 401
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/ping/").status_code == 401


@pytest.mark.requirement("P64")
def test_a_use_writes_no_change_event_and_notes_the_last_use_once_a_minute(make_token):
    """Reads do not write: a token's use is no change of a GxP record, so it adds no
    event to the change trail; its last use is noted at most once per minute."""
    token, raw = make_token("read")
    client = bearer(raw)
    events = AuditEvent.objects.count()
    assert client.get("/api/v1/ping/").status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/ping/")
    client.get("/api/v1/documents/")
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: not written again
    assert AuditEvent.objects.count() == events
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(seconds=61))
    client.get("/api/v1/ping/")
    token.refresh_from_db()
    assert token.last_used_at > first
    assert AuditEvent.objects.count() == events


def test_session_login_works_for_the_same_endpoints(auditor):
    assert session(auditor).get("/api/v1/documents/").status_code == 200


@pytest.mark.requirement("S1", "U1")
def test_a_token_never_signs(make_token):
    token, _ = make_token("read", "documents-write", "people-write")
    with pytest.raises(SignatureRefused):
        authenticate_signer(
            actor=token.user,
            credentials=Credentials(username=token.user.username, password="anything"),
            meaning="read_and_understood",
        )
    with pytest.raises(PermissionDenied):
        authenticate_signer(actor=None, credentials=Credentials(password="x"), meaning="approved")
