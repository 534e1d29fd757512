"""P179: the coordinator's job functions page counts its rows' holders and requirements in
force once while the audit trail's head stands and for at most OVERVIEW_SECONDS; the
counts are job_function_overview's, and a change recorded through a service shows at once."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qualify.org.models import JobAssignment
from qualify.web.coordinator.queries import (
    OVERVIEW_SECONDS,
    job_function_overview,
    job_function_overview_page,
)
from tests.web import pages_support

pytestmark = [pytest.mark.requirement("P179"), pytest.mark.django_db]

plant = pages_support.plant
PAGE = reverse("web:coordinator_job_functions")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _counts(user) -> dict[str, tuple[int, int]]:
    _taken_at, page = job_function_overview_page(user, 1)
    return {jf.code: (jf.holders, jf.entries) for jf in page.object_list}


def _counted(queries) -> bool:
    return any("org_jobassignment" in q["sql"] for q in queries.captured_queries)


def test_the_page_counts_are_the_overviews(plant, coordinator):
    plant.person("Olivia", job_function=plant.operators)
    plant.matrix(plant.requirement("RU-SOP-014", document=plant.document("SOP-014")))
    expected = {
        jf.code: (jf.holders, jf.entries)
        for jf in job_function_overview(coordinator, at=timezone.now())
    }
    assert _counts(coordinator) == expected
    assert expected["OP"] == (1, 1)


def test_a_recorded_change_shows_at_once(plant, coordinator, client):
    client.force_login(coordinator)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        assert _counts(coordinator)["OP"] == (0, 0)
        plant.person("Olivia", job_function=plant.operators)
        assert _counts(coordinator)["OP"] == (1, 0)
        page = client.get(PAGE).content.decode()
    assert f'?job_function={plant.operators.pk}">1</a>' in page


def test_while_the_head_stands_the_holders_are_not_counted_again(plant, coordinator):
    plant.person("Olivia", job_function=plant.operators)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        first_taken, _ = job_function_overview_page(coordinator, 1)
        clock.shift(dt.timedelta(seconds=OVERVIEW_SECONDS - 1))
        with CaptureQueriesContext(connection) as same_head:
            again_taken, _ = job_function_overview_page(coordinator, 1)
    assert not _counted(same_head)
    assert again_taken == first_taken


def test_after_the_age_the_holders_are_counted_again(plant, coordinator):
    """A job assignment comes into force with time alone (here written without an
    event, so that nothing but time tells the page)."""
    person = plant.person("Olivia")
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now, tick=False) as clock:
        assert _counts(coordinator)["OP"] == (0, 0)
        JobAssignment.objects.create(
            person=person,
            job_function=plant.operators,
            valid_from=now + dt.timedelta(seconds=5),
            recorded_at=now,
        )
        clock.shift(dt.timedelta(seconds=OVERVIEW_SECONDS - 1))
        assert _counts(coordinator)["OP"] == (0, 0)
        clock.shift(dt.timedelta(seconds=2))
        assert _counts(coordinator)["OP"] == (1, 0)
