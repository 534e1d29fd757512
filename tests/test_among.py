"""P195: a statement's list of ids as one parameter (qualify.ids.Among): the rows
`__in` gives, on either database, whatever the list."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualify.ids import Among
from qualify.org.models import Site

pytestmark = [pytest.mark.requirement("P195"), pytest.mark.django_db]


@pytest.fixture
def sites(db):
    return [Site.objects.create(code=f"S{n}", name=f"Site {n}") for n in range(6)]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(picked=st.lists(st.integers(min_value=-3, max_value=12), max_size=20))
def test_among_gives_the_rows_in_gives(sites, picked):
    ids = [sites[0].pk + n for n in picked]
    among = set(Site.objects.filter(Among("pk", ids)).values_list("pk", flat=True))
    assert among == set(Site.objects.filter(pk__in=ids).values_list("pk", flat=True))


def test_the_ids_are_one_parameter_however_many(sites):
    ids = [s.pk for s in sites] * 50
    seen = []

    def parameters(execute, sql, params, many, context):
        seen.append(len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(parameters):
        assert Site.objects.filter(Among("pk", ids)).count() == 6
        assert Site.objects.filter(Among("pk", [])).count() == 0
    assert seen == [1, 1]


def test_an_id_that_is_not_a_whole_number_is_refused(sites):
    with pytest.raises(ValueError):
        Among("pk", ["1; DROP TABLE org_site"])
