"""P16 (and P12's conformance): schemathesis with every check it has, in process (WSGI),
against the served schema, with valid (positive) and invalid (negative) data: no server
error, every negative input refused, every response as the schema says.

Bounded: QUALIFY_FUZZ_EXAMPLES examples per operation and mode (default 12), with a
fixed seed (about 50 s of CPU for both modes), so a failure can be replayed.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from qualify.api.models import SCOPES
from qualify.api.tokens import token_create

pytestmark = [pytest.mark.requirement("P16"), pytest.mark.django_db(transaction=False)]

EXAMPLES = int(os.environ.get("QUALIFY_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def api_schema(plant):
    # Like Django's test client: keep the test's connection (and its transaction)
    # open across the in-process requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    cache.clear()
    document = plant.document("SOP-1")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("RQ-1", document=document)
    plant.matrix(requirement)
    plant.operator_crew(2)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    return token_create(name="fuzz", scopes=list(SCOPES))[1]


def _fuzz(api_schema, token, mode: GenerationMode) -> list[str]:
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case):
            # Every check schemathesis has, negative_data_rejection included, but
            # positive_data_acceptance: a schema cannot say that an employee number or
            # a document number must exist, and naming one that does not is refused
            # with 400 naming the field, as it must be.
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                excluded_checks=[positive_data_acceptance],
            )

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures


@pytest.mark.slow
@pytest.mark.requirement("P12")
def test_valid_input_never_gives_a_server_error_and_every_answer_matches_the_schema(
    api_schema, token
):
    failures = _fuzz(api_schema, token, GenerationMode.POSITIVE)
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_invalid_input_is_refused_and_never_gives_a_server_error(api_schema, token):
    failures = _fuzz(api_schema, token, GenerationMode.NEGATIVE)
    assert not failures, "\n\n".join(failures)
