"""P10: every endpoint x scope, every endpoint x role, and client restriction (U2)."""

import pytest
from rest_framework.test import APIClient

from qualify.api.models import SCOPES
from qualify.documents import services as documents
from qualify.org import services as org
from qualify.org.models import Client
from tests.api.conftest import bearer, session
from tests.personas import make_user

pytestmark = pytest.mark.requirement("P10", "U2")

# (method, path, scope needed, roles allowed among the personas)
READ_ROLES = {"auditor"}
STAFF = {"employee", "trainer", "coordinator", "doc_controller", "qa"}
ENDPOINTS = [
    ("get", "/api/v1/people/", "read", {"auditor", "coordinator"}),
    ("get", "/api/v1/people/E0001/", "read", {"auditor", "coordinator"}),
    ("post", "/api/v1/people/", "people-write", {"coordinator"}),
    ("post", "/api/v1/people/bulk/", "people-write", {"coordinator"}),
    ("post", "/api/v1/people/E0001/deactivate/", "people-write", {"coordinator"}),
    ("get", "/api/v1/job-functions/", "read", {"auditor", "coordinator"}),
    ("get", "/api/v1/requirements/", "read", {"auditor", "coordinator"}),
    ("get", "/api/v1/matrix/", "read", {"auditor", "coordinator"}),
    # Everyone who trains reads their own assignments and records (P15: own reach).
    ("get", "/api/v1/assignments/", "read", {"auditor", *STAFF}),
    ("get", "/api/v1/records/", "read", {"auditor", *STAFF}),
    ("get", "/api/v1/documents/", "read", {"auditor", "doc_controller", "qa"}),
    ("get", "/api/v1/documents/SOP-1/", "read", {"auditor", "doc_controller", "qa"}),
    ("get", "/api/v1/documents/SOP-1/versions/", "read", {"auditor", "doc_controller", "qa"}),
    ("post", "/api/v1/documents/SOP-1/versions/", "documents-write", {"doc_controller"}),
    ("get", "/api/v1/documents/SOP-1/effective/", "read", {"auditor", "doc_controller", "qa"}),
    (
        "get",
        "/api/v1/qualifications/check?person=E0001&document=SOP-1",
        "read",
        {"auditor", "employee", "trainer", "coordinator", "doc_controller", "qa"},
    ),
    (
        "post",
        "/api/v1/qualifications/check",
        "read",
        {"auditor", "employee", "trainer", "coordinator", "doc_controller", "qa"},
    ),
    (
        "get",
        "/api/v1/executions/",
        "read",
        {"auditor", "employee", "trainer", "coordinator", "doc_controller", "qa"},
    ),
    (
        "post",
        "/api/v1/executions/",
        "executions-write",
        {"employee", "trainer", "coordinator", "doc_controller", "qa"},
    ),
    ("get", "/api/v1/quality/capas/", "read", {"auditor", "qa"}),
    (
        "get",
        "/api/v1/quality/deviations/",
        "read",
        {"auditor", "employee", "trainer", "coordinator", "doc_controller", "qa"},
    ),
    ("get", "/api/v1/quality/change-controls/", "read", {"auditor", "doc_controller", "qa"}),
    ("get", "/api/v1/audit/events/?object_type=org.site&object_id=1", "read", {"auditor", "admin"}),
    ("get", "/api/v1/audit/checkpoints/", "read", {"auditor", "admin"}),
    ("get", "/api/v1/webhooks/subscriptions/", "webhooks-manage", {"admin"}),
    ("post", "/api/v1/webhooks/subscriptions/", "webhooks-manage", {"admin"}),
    ("get", "/api/v1/webhooks/deliveries/", "webhooks-manage", {"admin"}),
    (
        "get",
        "/api/v1/ping/",
        "read",
        {"auditor", "employee", "trainer", "coordinator", "doc_controller", "qa", "admin"},
    ),
]
ROLES = ["employee", "trainer", "coordinator", "doc_controller", "qa", "auditor", "admin"]
IDS = [f"{m} {p.split('?')[0]}" for m, p, _, _ in ENDPOINTS]


def call(client, method, path):
    return getattr(client, method)(path, {} if method == "post" else None, format="json")


@pytest.mark.parametrize(("method", "path", "scope", "roles"), ENDPOINTS, ids=IDS)
def test_anonymous_is_401(db, method, path, scope, roles):
    assert call(APIClient(), method, path).status_code == 401


@pytest.mark.parametrize(("method", "path", "needed", "roles"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_endpoint_by_scope(make_token, method, path, needed, roles, scope):
    status = call(bearer(make_token(scope)[1]), method, path).status_code
    if scope == needed:
        assert status not in (401, 403), status
    else:
        assert status == 403


@pytest.mark.parametrize(("method", "path", "needed", "allowed"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("role", ROLES)
def test_endpoint_by_role(request, method, path, needed, allowed, role):
    user = request.getfixturevalue(role)
    status = call(session(user), method, path).status_code
    if role in allowed:
        assert status not in (401, 403), status
    else:
        assert status == 403


def test_service_account_cannot_use_a_session(make_token):
    token, _ = make_token("read")
    assert session(token.user).get("/api/v1/ping/").status_code in (401, 403)


@pytest.fixture
def two_clients(plant, admin, doc_controller):
    acme = org.client_create(actor=admin, code="ACME", name="Acme")
    globex = org.client_create(actor=admin, code="GLOBEX", name="Globex")
    for number, client in (("ACME-1", acme), ("GLOBEX-1", globex)):
        documents.document_create(
            actor=doc_controller,
            number=number,
            title=number,
            doc_type="sop",
            owner=doc_controller,
            client=client,
        )
    restricted = make_user("acme_auditor", "auditor")
    org.client_access_grant(actor=admin, user=restricted, client=acme, reason="Client work")
    return restricted


def test_another_clients_object_is_404(two_clients):
    client = session(two_clients)
    assert client.get("/api/v1/documents/ACME-1/").status_code == 200
    assert client.get("/api/v1/documents/GLOBEX-1/").status_code == 404
    assert client.get("/api/v1/documents/GLOBEX-1/versions/").status_code == 404
    assert client.get("/api/v1/documents/GLOBEX-1/effective/").status_code == 404
    numbers = [d["number"] for d in client.get("/api/v1/documents/").json()["results"]]
    assert numbers == ["ACME-1"]
    globex = Client.objects.get(code="GLOBEX")
    doc = globex.documents.get()
    r = client.get(
        "/api/v1/audit/events/", {"object_type": "documents.document", "object_id": doc.pk}
    )
    assert r.status_code == 404
    assert client.get("/api/v1/quality/capas/").json()["results"] == []


def test_rate_limit_per_token(make_token, settings):
    settings.QUALIFY_API_RATE = "3/min"
    from django.core.cache import cache

    cache.clear()
    a, b = bearer(make_token("read")[1]), bearer(make_token("read")[1])
    assert [a.get("/api/v1/ping/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert b.get("/api/v1/ping/").status_code == 200
    limited = a.get("/api/v1/ping/")
    assert limited["Content-Type"] == "application/problem+json"
    assert "Retry-After" in limited
    cache.clear()
