"""P171: the compliance dashboard's figures are remembered while the audit trail's head
stands and for at most DASHBOARD_SECONDS, shared only by users who see the same (U2)."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualify.accounts import roles
from qualify.org import services as org
from qualify.training.models import Assignment, AssignmentStatus, Method
from qualify.web import zones
from qualify.web.coordinator.queries import DASHBOARD_SECONDS, compliance_dashboard
from tests.personas import make_user
from tests.training.support import DAY
from tests.web import pages_support

pytestmark = [pytest.mark.requirement("P171"), pytest.mark.django_db]

plant = pages_support.plant


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def late(plant, employee):
    """Olivia, an operator, has an open assignment; returns her and it."""
    operator = plant.person("Olivia", user=employee, job_function=plant.operators)
    requirement = plant.requirement("RU-SOP-014", document=plant.document("SOP-014"))
    plant.matrix(requirement)
    return operator, Assignment.objects.get(person=operator, status=AssignmentStatus.OPEN)


def _operators(dashboard) -> tuple[int, int]:
    (rows,) = [rows for label, rows in dashboard.groups if label == "Job function"]
    (row,) = [row for row in rows if row.name == "Filling operator"]
    return row.compliant, row.people


def _groups(dashboard) -> dict:
    return dict(dashboard.groups)


def _grouped(queries) -> bool:
    return any("GROUP BY" in q["sql"] for q in queries.captured_queries)


def test_a_signed_record_changes_the_figures_at_once(plant, coordinator, late):
    operator, assignment = late
    with time_machine.travel(assignment.due_at + DAY, tick=False):
        assert _operators(compliance_dashboard(coordinator)) == (0, 1)
        plant.read(operator, assignment=assignment)
        assert _operators(compliance_dashboard(coordinator)) == (1, 1)


def test_while_the_head_stands_the_figures_are_not_counted_again(plant, coordinator, late):
    _operator, assignment = late
    with time_machine.travel(assignment.due_at + DAY, tick=False) as clock:
        first = compliance_dashboard(coordinator)
        clock.shift(dt.timedelta(seconds=1))
        with CaptureQueriesContext(connection) as same_head:
            again = compliance_dashboard(coordinator)
        # Any recorded event moves the head, even one that changes no figure.
        org.client_create(actor=plant.admin, code="NVX", name="Novexa")
        with CaptureQueriesContext(connection) as new_head:
            moved = compliance_dashboard(coordinator)
    assert not _grouped(same_head)
    assert again.taken_at == first.taken_at
    assert _grouped(new_head)
    assert moved.taken_at == first.taken_at + dt.timedelta(seconds=1)


def test_after_the_age_the_figures_are_taken_again(coordinator, late):
    """An assignment falls overdue with time alone, recording nothing."""
    _operator, assignment = late
    with time_machine.travel(assignment.due_at - dt.timedelta(seconds=5), tick=False) as clock:
        assert _operators(compliance_dashboard(coordinator)) == (1, 1)
        clock.shift(dt.timedelta(seconds=DASHBOARD_SECONDS - 1))
        assert _operators(compliance_dashboard(coordinator)) == (1, 1)
        clock.shift(dt.timedelta(seconds=2))
        assert _operators(compliance_dashboard(coordinator)) == (0, 1)


@pytest.mark.requirement("U2")
def test_users_of_other_clients_never_share_figures(plant):
    functions = {}
    for code in ("ALPHA", "BRAVO"):
        client = org.client_create(actor=plant.admin, code=code, name=code.title())
        functions[code] = org.job_function_create(
            actor=plant.coordinator,
            code=f"{code}-FILL",
            name=f"Filler {code}",
            site=plant.site,
            client=client,
        )
        plant.person(f"Holder {code}", job_function=functions[code])
        plant.matrix(
            plant.requirement(f"RU-{code}", method=Method.EXTERNAL, client=client),
            functions[code],
        )
    viewers = {}
    for code in ("ALPHA", "BRAVO"):
        viewers[code] = make_user(f"{code.lower()}_coordinator", roles.COORDINATOR)
        org.client_access_grant(
            actor=plant.admin, user=viewers[code], client=functions[code].client, reason="Work"
        )
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        shown = {
            code: {row.name for row in _groups(compliance_dashboard(viewers[code]))["Job function"]}
            for code in ("ALPHA", "BRAVO")
        }
    assert shown == {"ALPHA": {"Filler ALPHA"}, "BRAVO": {"Filler BRAVO"}}


def test_the_page_says_when_the_figures_were_taken(client, coordinator, late):
    client.force_login(coordinator)
    taken = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=7)
    with time_machine.travel(taken, tick=False):
        page = client.get(reverse("web:coordinator_dashboard")).content.decode()
    assert f">{zones.clock_in_zone(taken, zones.zone_of(coordinator))}</time>" in page
