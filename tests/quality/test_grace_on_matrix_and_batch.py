"""Q10 everywhere (P70): a person qualified only in grace (expired, retraining open) is
shown "qualified (in grace)" with its end on the coordinator's matrix grid and in the
batch record, where the gate stored it in its snapshot; the page and the API read the
same query, and a person whose training has not expired is not shown in grace."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qualify.quality import services
from qualify.quality.models import Execution
from qualify.quality.queries import batch_record
from qualify.quality.queries.batch import snapshot_grace
from qualify.training import engine, scheduler
from qualify.training.grace import in_grace_on_matrix
from qualify.training.models import TrainingRecord
from qualify.web.coordinator.queries import matrix_grid

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("Q10", "P70")]

BATCH = "B-2026-0901"


@pytest.fixture
def graced(plant, time_machine):
    """SOP-031 recurs monthly with 10 days of grace. Gail trained a month ago, her
    retraining is assigned (G4) and open: two days after expiry she is in grace. Fred
    trained three days before her expiry: qualified, not in grace."""
    time_machine.move_to(timezone.now(), tick=False)
    document = plant.document("SOP-031", "Filter integrity test")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement(
        "SOP-031-RU", document=document, recurrence_months=1, grace_days=10
    )
    plant.matrix(requirement)
    gail = plant.person("Gail Graced", job_function=plant.operators)
    fred = plant.person("Fred Fresh", job_function=plant.operators)
    plant.complete(gail, requirement)
    record = TrainingRecord.objects.get(person=gail, requirement=requirement)
    expiry = engine.add_months(record.completed_at, 1)
    time_machine.move_to(expiry - dt.timedelta(days=3), tick=False)
    plant.complete(fred, requirement)
    scheduler.recurrence(timezone.now())  # G4: Gail's retraining, due at her expiry
    time_machine.move_to(expiry + dt.timedelta(days=2), tick=False)
    answer = engine.qualification(gail, requirement, at=timezone.now())
    assert answer.in_grace
    assert answer.grace_ends == expiry + dt.timedelta(days=10)
    assert not engine.qualification(fred, requirement, at=timezone.now()).in_grace
    return document, requirement, gail, fred, expiry + dt.timedelta(days=10)


def perform(person, document):
    return services.execution_record(
        actor=person.user, person=person, batch=BATCH, documents=[document], step="Filter test"
    )


def session(user, api=False):
    client = APIClient() if api else Client()
    client.force_login(user)
    return client


def test_the_gate_stores_in_grace_in_its_snapshot_and_the_batch_record_shows_it(plant, graced):
    document, _requirement, gail, fred, ends = graced
    perform(gail, document)
    perform(fred, document)
    gails = Execution.objects.get(person=gail)
    assert gails.qualified
    assert gails.gate_answer["in_grace"] is True
    assert gails.gate_answer["grace_ends"] == ends.isoformat().replace("+00:00", "Z")
    assert gails.gate_answer["documents"][0]["in_grace"] is True
    assert Execution.objects.get(person=fred).gate_answer["in_grace"] is False

    rows = {r["employee_number"]: r for r in batch_record(BATCH)}
    gail_row, fred_row = rows[gail.employee_number], rows[fred.employee_number]
    assert (gail_row["in_grace_then"], gail_row["grace_ends_then"]) == (True, ends)
    assert (gail_row["in_grace_now"], gail_row["grace_ends_now"]) == (True, ends)
    assert (fred_row["in_grace_then"], fred_row["in_grace_now"]) == (False, False)
    assert fred_row["qualified_as_known_then"]
    assert fred_row["qualified_known_now"]


def test_a_snapshot_stored_before_the_gate_said_it_is_read_from_its_requirements(plant, graced):
    """Executions recorded before the gate stored "in_grace" at the top still say it:
    each requirement of the stored engine answer carries it."""
    document, _requirement, gail, _fred, ends = graced
    perform(gail, document)
    stored = dict(Execution.objects.get(person=gail).gate_answer)
    del stored["in_grace"], stored["grace_ends"]
    assert snapshot_grace(stored) == (True, ends)
    stored["qualified"] = False
    assert snapshot_grace(stored) == (False, None)


def test_the_batch_page_and_the_api_say_qualified_in_grace(plant, graced):
    document, _requirement, gail, fred, ends = graced
    perform(gail, document)
    perform(fred, document)
    page = session(plant.qa).get(reverse("web:quality_batch", args=[BATCH]))
    assert page.status_code == 200
    text = page.content.decode()
    gail_line = text[text.index("Gail Graced") :].split("</tr>")[0]
    fred_line = text[text.index("Fred Fresh") :].split("</tr>")[0]
    assert gail_line.count("yes: qualified (in grace)") == 2  # then and now
    assert f"until {ends.astimezone(dt.UTC):%Y-%m-%d}" in gail_line
    assert "in grace" not in fred_line

    api = session(plant.qa, api=True).get(reverse("api:batch-record", args=[BATCH]))
    assert api.status_code == 200, api.content
    by_number = {r["employee_number"]: r for r in api.json()}
    assert by_number[gail.employee_number]["in_grace_then"] is True
    assert by_number[gail.employee_number]["in_grace_now"] is True
    assert by_number[gail.employee_number]["grace_ends_then"].startswith(f"{ends:%Y-%m-%d}")
    assert by_number[fred.employee_number]["in_grace_now"] is False
    missing = session(plant.qa, api=True).get(reverse("api:batch-record", args=["NONE"]))
    assert missing.status_code == 404


def test_the_matrix_grid_and_the_api_count_the_holders_in_grace(plant, graced):
    _document, requirement, gail, _fred, ends = graced
    grid = matrix_grid(plant.coordinator, at=timezone.now())
    ((_shown, cells),) = [(r, c) for r, c in grid.rows if r.pk == requirement.pk]
    (cell,) = [c for c in cells if c is not None]
    assert [g.person for g in cell.in_grace] == [gail]
    assert cell.grace_ends == ends

    page = session(plant.coordinator).get(reverse("web:coordinator_matrix"))
    text = page.content.decode()
    row = text[text.index("SOP-031-RU") :].split("</tr>")[0]
    assert "1 qualified (in grace)" in row
    assert "grace 10d" in row
    assert "Gail Graced until" in row

    api = session(plant.coordinator, api=True).get(reverse("api:matrix-in-grace"))
    assert api.status_code == 200, api.content
    (line,) = api.json()
    assert (line["requirement"], line["job_function"], line["person"]) == (
        "SOP-031-RU",
        plant.operators.code,
        gail.employee_number,
    )
    assert line["state"] == "qualified (in grace)"
    assert line["grace_ends"].startswith(f"{ends:%Y-%m-%d}")
    other = session(plant.coordinator, api=True).get(
        reverse("api:matrix-in-grace"), {"requirement": "NOPE"}
    )
    assert other.json() == []


def test_once_the_grace_ends_nobody_is_shown_in_grace_and_the_gate_refuses(
    plant, graced, time_machine
):
    document, _requirement, gail, _fred, ends = graced
    time_machine.move_to(ends + dt.timedelta(hours=1), tick=False)
    assert in_grace_on_matrix(plant.coordinator, at=timezone.now()) == []
    with pytest.raises(services.GateRefused, match="was not qualified"):
        perform(gail, document)


def test_no_read_for_grace_when_no_requirement_on_the_page_allows_it(
    plant, django_assert_num_queries
):
    """P65: the matrix page asks nothing more when no requirement shown allows grace."""
    requirement = plant.requirement("SOP-NG-RU", document=plant.document("SOP-NG"))
    with django_assert_num_queries(0):
        assert (
            in_grace_on_matrix(plant.coordinator, at=timezone.now(), requirements=[requirement])
            == []
        )
