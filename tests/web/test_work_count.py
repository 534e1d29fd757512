"""P153: the menu's work count is the inbox's own answer, remembered in the session
only while nothing is recorded in the audit trail and the minute stands."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualify.quality.queries.work import my_work
from qualify.training.models import Assignment, AssignmentStatus
from qualify.web.nav import WORK_COUNT_SECONDS
from tests.web import pages_support

pytestmark = [pytest.mark.requirement("P153"), pytest.mark.django_db]

plant, reading = pages_support.plant, pages_support.reading

PAGE = "/account/"  # a page that draws the menu but is not the inbox


def _badge(client) -> int:
    page = client.get(PAGE).content.decode()
    found = re.search(r'<span class="count" aria-label="(\d+) waiting">', page)
    return int(found.group(1)) if found else 0


def _inbox_read(queries) -> bool:
    # The trainings source reads the person's assignments; only my_work does, here.
    return any('"training_assignment"' in q["sql"] for q in queries.captured_queries)


def test_the_count_is_the_inbox_and_follows_each_recorded_change(client, employee, plant, reading):
    operator, _document, _requirement, _assignment = reading
    client.force_login(employee)
    assert _badge(client) == len(my_work(employee)) == 1
    # A second requirement in the operators' matrix opens a second assignment (G1):
    # recorded in the trail, so the next page counts again.
    plant.matrix(plant.requirement("RU-SOP-015", document=plant.document("SOP-015")))
    assert Assignment.objects.filter(person=operator, status=AssignmentStatus.OPEN).count() == 2
    assert _badge(client) == len(my_work(employee)) == 2
    plant.read(operator, assignment=Assignment.objects.filter(person=operator).first())
    assert _badge(client) == len(my_work(employee)) == 1


def test_while_nothing_is_recorded_the_count_is_not_read_again(client, employee, reading):
    client.force_login(employee)
    with CaptureQueriesContext(connection) as first:
        assert _badge(client) == 1
    with CaptureQueriesContext(connection) as second:
        assert _badge(client) == 1
    assert _inbox_read(first)
    assert not _inbox_read(second)


def test_time_alone_makes_the_count_read_again(client, employee, reading):
    client.force_login(employee)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        assert _badge(client) == 1
        clock.shift(dt.timedelta(seconds=WORK_COUNT_SECONDS - 1))
        with CaptureQueriesContext(connection) as within:
            assert _badge(client) == 1
        clock.shift(dt.timedelta(seconds=2))
        with CaptureQueriesContext(connection) as after:
            assert _badge(client) == 1
    assert not _inbox_read(within)
    assert _inbox_read(after)


def test_a_change_not_recorded_in_the_trail_waits_for_the_minute(client, employee, reading):
    """What the rule rests on, shown by breaking it: a row changed behind the services'
    back (no audit event) is not seen until the minute has passed. Every service
    records its change, so pages never meet this."""
    _operator, _document, _requirement, assignment = reading
    client.force_login(employee)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        assert _badge(client) == 1
        Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.CANCELLED)
        assert _badge(client) == 1
        clock.shift(dt.timedelta(seconds=WORK_COUNT_SECONDS + 1))
        assert _badge(client) == 0
