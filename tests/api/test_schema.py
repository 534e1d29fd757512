"""P12: the API's schema is served and documented offline.

That every answer matches the schema (status codes and bodies) is checked by the
schemathesis run of tests/api/test_fuzz.py, whose valid-input pass runs every check
schemathesis has, response_schema_conformance and status_code_conformance among them:
a run of its own here generated the same kind of input again for the same checks."""

import pytest

pytestmark = [pytest.mark.requirement("P12"), pytest.mark.django_db(transaction=False)]


def test_docs_page_works_offline(client, settings):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert b"drf_spectacular_sidecar" in page.content  # assets served locally, not a CDN
    schema_doc = client.get("/api/v1/schema/?format=json").json()
    assert schema_doc["openapi"].startswith("3")
    assert "bearerAuth" in schema_doc["components"]["securitySchemes"]
