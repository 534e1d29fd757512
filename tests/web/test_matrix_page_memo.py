"""P210: a page of the training matrix is taken once while the audit trail's head
stands and for at most MATRIX_SECONDS; it is matrix_grid's page, a change recorded
through a service shows at once, an entry coming into force with time alone shows after
the age, and the page says when it was taken."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qualify.training.models import MatrixEntry
from qualify.web.coordinator.queries import MATRIX_SECONDS, matrix_grid, matrix_page
from tests.web import pages_support

pytestmark = [pytest.mark.requirement("P210"), pytest.mark.django_db]

plant = pages_support.plant
PAGE = reverse("web:coordinator_matrix")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _cells(grid) -> dict[str, list[bool]]:
    return {r.code: [cell is not None for cell in cells] for r, cells in grid.rows}


def _entries_read(queries) -> bool:
    return any("training_matrixentry" in q["sql"] for q in queries.captured_queries)


def test_the_page_is_matrix_grids(plant, coordinator):
    plant.matrix(plant.requirement("RU-SOP-014", document=plant.document("SOP-014")))
    plant.matrix(plant.requirement("RU-SOP-015", document=plant.document("SOP-015")))
    taken_at, grid = matrix_page(coordinator)
    expected = matrix_grid(coordinator, at=taken_at)
    assert _cells(grid) == _cells(expected) == {"RU-SOP-014": [True], "RU-SOP-015": [True]}
    assert [jf.code for jf in grid.functions] == [jf.code for jf in expected.functions]


def test_a_recorded_change_shows_at_once(plant, coordinator, client):
    client.force_login(coordinator)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        assert "RU-SOP-014" not in _cells(matrix_page(coordinator)[1])
        plant.matrix(plant.requirement("RU-SOP-014", document=plant.document("SOP-014")))
        assert "RU-SOP-014" in _cells(matrix_page(coordinator)[1])
        page = client.get(PAGE).content.decode()
    assert "RU-SOP-014" in page
    assert "in force as of <time" in page


def test_while_the_head_stands_the_entries_are_not_read_again(plant, coordinator):
    plant.matrix(plant.requirement("RU-SOP-014", document=plant.document("SOP-014")))
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        first_taken, _ = matrix_page(coordinator)
        clock.shift(dt.timedelta(seconds=MATRIX_SECONDS - 1))
        with CaptureQueriesContext(connection) as same_head:
            again_taken, grid = matrix_page(coordinator)
    assert not _entries_read(same_head)
    assert again_taken == first_taken
    assert "RU-SOP-014" in _cells(grid)
    # Another filter is another page.
    with CaptureQueriesContext(connection) as filtered:
        matrix_page(coordinator, job_function=plant.operators)
    assert _entries_read(filtered)


def test_after_the_age_the_page_is_taken_again(plant, coordinator):
    """An entry comes into force with time alone (here written without an event, so
    that nothing but time tells the page)."""
    requirement = plant.requirement("RU-SOP-014", document=plant.document("SOP-014"))
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now, tick=False) as clock:
        assert "RU-SOP-014" not in _cells(matrix_page(coordinator)[1])
        MatrixEntry.objects.create(
            job_function=plant.operators,
            requirement=requirement,
            valid_from=now + dt.timedelta(seconds=5),
            reason="in force in five seconds",
            recorded_at=timezone.now(),
            created_by=coordinator,
        )
        clock.shift(dt.timedelta(seconds=MATRIX_SECONDS - 1))
        assert "RU-SOP-014" not in _cells(matrix_page(coordinator)[1])
        clock.shift(dt.timedelta(seconds=2))
        assert "RU-SOP-014" in _cells(matrix_page(coordinator)[1])
