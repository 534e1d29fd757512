"""P169: a page of training effectiveness is remembered while the audit trail's head
stands and for at most EFFECTIVENESS_SECONDS, shared only by users who see the same
records and deviations (U2); the page says when its figures were taken."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualify.accounts import roles
from qualify.org import services as org
from qualify.training.models import Assignment, AssignmentStatus
from qualify.web import zones
from qualify.web.coordinator.queries import EFFECTIVENESS_SECONDS, effectiveness_page
from tests.personas import make_user
from tests.web import pages_support

pytestmark = [pytest.mark.requirement("P169"), pytest.mark.django_db]

plant = pages_support.plant


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _trained(user) -> dict[str, int]:
    _taken, documents, _trainers = effectiveness_page(user, days=90, documents=None, trainers=None)
    return {row.label.split()[0]: row.trained for row in documents.rows}


def _reads_records(queries) -> bool:
    return any("training_trainingrecord" in q["sql"] for q in queries.captured_queries)


def _holder(plant, name, number, job_function=None, client=None):
    requirement = plant.requirement(f"RU-{number}", document=plant.document(number, client=client))
    plant.matrix(requirement, *([job_function] if job_function else []))
    person = plant.person(name, job_function=job_function or plant.operators)
    return person, Assignment.objects.get(
        person=person, requirement=requirement, status=AssignmentStatus.OPEN
    )


def test_a_signed_record_shows_at_once(plant, coordinator):
    person, assignment = _holder(plant, "Olivia", "SOP-014")
    assert "SOP-014" not in _trained(coordinator)
    plant.read(person, assignment=assignment)
    assert _trained(coordinator)["SOP-014"] == 1


def test_while_the_head_stands_the_records_are_not_read_again(plant, coordinator):
    person, assignment = _holder(plant, "Olivia", "SOP-014")
    plant.read(person, assignment=assignment)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        first = _trained(coordinator)
        clock.shift(dt.timedelta(seconds=EFFECTIVENESS_SECONDS - 1))
        with CaptureQueriesContext(connection) as same_head:
            again = _trained(coordinator)
        clock.shift(dt.timedelta(seconds=2))
        with CaptureQueriesContext(connection) as too_old:
            _trained(coordinator)
        org.client_create(actor=plant.admin, code="NVX", name="Novexa")
        with CaptureQueriesContext(connection) as new_head:
            _trained(coordinator)
    assert again == first == {"SOP-014": 1}
    assert not _reads_records(same_head)
    assert _reads_records(too_old)
    assert _reads_records(new_head)


@pytest.mark.requirement("U2")
def test_users_of_other_clients_never_share_figures(plant):
    viewers = {}
    for code, number in (("ALPHA", "SOP-A"), ("BRAVO", "SOP-B")):
        client = org.client_create(actor=plant.admin, code=code, name=code.title())
        function = org.job_function_create(
            actor=plant.coordinator,
            code=f"{code}-FILL",
            name=f"Filler {code}",
            site=plant.site,
            client=client,
        )
        person, assignment = _holder(plant, f"Holder {code}", number, function, client)
        plant.read(person, assignment=assignment)
        viewers[code] = make_user(f"{code.lower()}_coordinator", roles.COORDINATOR)
        org.client_access_grant(actor=plant.admin, user=viewers[code], client=client, reason="Work")
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        shown = {code: set(_trained(viewer)) for code, viewer in viewers.items()}
    assert shown == {"ALPHA": {"SOP-A"}, "BRAVO": {"SOP-B"}}


def test_the_page_says_when_the_figures_were_taken(client, coordinator):
    client.force_login(coordinator)
    taken = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=7)
    with time_machine.travel(taken, tick=False):
        page = client.get(reverse("web:coordinator_effectiveness")).content.decode()
    assert f">{zones.clock_in_zone(taken, zones.zone_of(coordinator))}</time>" in page
