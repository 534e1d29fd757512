# TEMPORARY (perf helper): the property test with 1,000 examples; deleted after one run.
import pytest
from hypothesis import HealthCheck, given, settings

from tests.training.test_engine_properties import history_spec
from tests.training.test_engine_properties import test_engine_agrees_with_the_reference as t

pytestmark = [pytest.mark.django_db]


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=history_spec)
def test_more(db, spec):
    t.hypothesis.inner_test(db, spec)
