"""P65: the change control's training picture and the batch record read a number of
queries that does not grow with the trainees or the executions (no query per row),
and the pages that show them likewise."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.quality import queries, services
from tests.quality.plant import creds
from tests.quality.test_change_control import raise_cc
from tests.quality.test_execution import line, perform

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P65")]


def _picture_with(plant, crew_size, number="SOP-014", cc_number="CC-2026-031"):
    """A change control whose revision retrains the operators; the crew joins first."""
    document = plant.document(number, "Line clearance")
    plant.approve(plant.revise(document, "5"))
    requirement = plant.requirement(f"{number}-RU", document=document)
    crew = plant.operator_crew(crew_size, prefix=f"Operator {number}")
    plant.matrix(requirement)
    for operator in crew:
        plant.complete(operator, requirement)  # trained on rev 5: signed records
    cc = raise_cc(plant, document, number=cc_number)
    cc = services.change_control_approve(
        actor=plant.qa, change_control=cc, credentials=creds(plant.qa)
    )
    rev6 = plant.revise(document, "6")
    services.change_control_link_revision(
        actor=plant.doc_controller, change_control=cc, version=rev6
    )
    plant.approve(rev6, effective_from=timezone.now() + dt.timedelta(days=31))
    for operator in crew[: len(crew) // 2]:
        plant.complete(operator, requirement)  # rev 6 read: evidence with a signature
    return cc, crew, requirement


def test_the_training_picture_reads_the_same_queries_for_many_trainees(
    plant, django_assert_max_num_queries
):
    small_cc, _, _ = _picture_with(plant, 2)
    with django_assert_max_num_queries(20) as few:
        small = queries.training_picture(small_cc)
    large_cc, _, _ = _picture_with(plant, 12, "SOP-015", "CC-2026-032")
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = queries.training_picture(large_cc)
    assert len(small) == 2
    assert len(large) == 14  # the first crew holds the job function too
    signed = [r for r in large if r["evidence"]]
    assert len(signed) == 6
    assert all(len(r["evidence"]["signatures"]) == 1 for r in signed)
    assert "meaning: read and understood" in signed[0]["evidence"]["signatures"][0].lower()


def test_the_batch_record_reads_the_same_queries_for_many_executions(
    plant_factory, django_assert_max_num_queries
):
    plant = plant_factory(gate_policy="deviation")
    document, aoife, brian = line(plant)
    perform(aoife, document)
    perform(brian, document)
    with django_assert_max_num_queries(30) as few:
        small = queries.batch_record("B-2026-0815")
    for _ in range(10):
        perform(aoife, document)
        perform(brian, document)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = queries.batch_record("B-2026-0815")
    assert len(small) == 2
    assert len(large) == 22
    by_person = {r["person"]: r["qualified_known_now"] for r in large}
    assert by_person == {"Aoife Trained": True, "Brian Untrained": False}
    assert all(r["reasons_now"] for r in large if r["person"] == "Brian Untrained")


def test_the_change_control_page_does_not_read_per_trainee(
    client, plant, django_assert_max_num_queries
):
    small_cc, _, _ = _picture_with(plant, 2)
    large_cc, _, _ = _picture_with(plant, 12, "SOP-015", "CC-2026-032")
    client.force_login(plant.qa)

    def page(cc):
        return reverse("web:quality_detail", kwargs={"kind": "change-controls", "pk": cc.pk})

    with django_assert_max_num_queries(80) as few:
        assert client.get(page(small_cc)).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(page(large_cc))
    assert b"Operator SOP-015 11" in response.content  # every trainee is on the page
