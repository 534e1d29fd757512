"""P12: schemathesis against the served schema, in process (WSGI), no network: no 5xx
on any generated input, and every response matches the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from qualify.api.models import SCOPES
from qualify.api.tokens import token_create

pytestmark = [pytest.mark.requirement("P12"), pytest.mark.django_db(transaction=False)]


@pytest.fixture
def api_schema(plant):
    # Like Django's test client: keep the test's connection (and its transaction)
    # open across the in-process requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield _load(plant)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load(plant):
    document = plant.document("SOP-1")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("RQ-1", document=document)
    plant.matrix(requirement)
    plant.operator_crew(2)
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@pytest.fixture
def token(db):
    return token_create(name="fuzz", scopes=list(SCOPES))[1]


@pytest.mark.slow
def test_api_conforms_to_its_schema(api_schema, token):
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
            )

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_docs_page_works_offline(client, settings):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert b"drf_spectacular_sidecar" in page.content  # assets served locally, not a CDN
    schema_doc = client.get("/api/v1/schema/?format=json").json()
    assert schema_doc["openapi"].startswith("3")
    assert "bearerAuth" in schema_doc["components"]["securitySchemes"]
