"""CAPA recurrence after retraining per trainer (P71): the trainer who retrained the
people of a CAPA action sees the retraining, and its recurrence when one of the people
they retrained is named afterwards in a deviation on the retraining's document. The
page, the report rows and the API give the same figures (one query)."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.quality import services
from qualify.quality.models import CapaAction, Deviation
from qualify.quality.queries.effectiveness import effectiveness
from qualify.training.models import Method, TrainingRecord
from tests.quality.test_capa_actions import action, raise_capa

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P46", "P71")]


@pytest.fixture
def retrained(plant, trainer):
    """SOP-014's on-the-job retraining of two operators under a CAPA action: Tom
    Trainer (qualified by an external train-the-trainer certificate) observed both."""
    tom, ttt = plant.qualified_trainer(trainer)
    document = plant.document("SOP-014", "Line clearance")
    plant.approve(plant.revise(document, "5"))
    ojt = plant.requirement(
        "LC-OJT",
        document=document,
        method=Method.ON_THE_JOB,
        trainer_requirement=ttt,
        checklist="1. Second check",
    )
    sean, una = plant.person("Sean Operator"), plant.person("Una Operator")
    capa = raise_capa(plant)
    act = action(plant, capa, requirement=ojt, people=[sean, una])
    for person in (sean, una):
        plant.observe(person, ojt, tom)
    act.refresh_from_db()
    assert act.training_completed_at is not None
    return tom, document, sean, una


def deviation(plant, number, person, document, *, occurred_at=None):
    return services.deviation_create(
        actor=plant.qa,
        number=number,
        site=plant.site,
        occurred_at=occurred_at or timezone.now(),
        description="Line clearance skipped",
        people=[person],
        documents=[document],
    )


def trainer_row(rows, name="Tom Trainer"):
    (row,) = [r for r in rows if r.kind == "trainer" and r.label == name]
    return row


def test_a_capa_retraining_counts_for_its_trainer_and_recurs_on_a_later_deviation(plant, retrained):
    """Tom retrained two people under one action: one retraining for Tom. Una named
    afterwards with SOP-014 in a deviation: it recurred, once, for Tom, as for the
    document."""
    _tom, document, _sean, una = retrained
    rows = effectiveness(TrainingRecord.objects.all(), Deviation.objects.all(), days=30)
    assert (trainer_row(rows).retrainings, trainer_row(rows).recurred) == (1, 0)

    deviation(plant, "DEV-2026-0001", una, document)
    deviation(plant, "DEV-2026-0002", una, document)
    rows = effectiveness(TrainingRecord.objects.all(), Deviation.objects.all(), days=30)
    tom_row = trainer_row(rows)
    (sop,) = [r for r in rows if r.kind == "document"]
    assert (tom_row.retrainings, tom_row.recurred) == (1, 1)
    assert (sop.retrainings, sop.recurred) == (1, 1)


def test_a_deviation_on_another_document_or_before_the_retraining_is_no_recurrence(
    plant, retrained
):
    _tom, document, sean, _una = retrained
    other = plant.document("SOP-078")
    plant.approve(plant.revise(other, "1"))
    deviation(plant, "DEV-2026-0003", sean, other)
    before = CapaAction.objects.get().training_completed_at - dt.timedelta(hours=1)
    deviation(plant, "DEV-2026-0004", sean, document, occurred_at=before)
    rows = effectiveness(TrainingRecord.objects.all(), Deviation.objects.all(), days=30)
    assert (trainer_row(rows).retrainings, trainer_row(rows).recurred) == (1, 0)


def test_a_retraining_the_reader_may_not_see_is_not_counted(plant, retrained):
    """Only the visible records count: with none visible, no trainer row."""
    _tom, document, sean, _una = retrained
    deviation(plant, "DEV-2026-0005", sean, document)
    rows = effectiveness(TrainingRecord.objects.none(), Deviation.objects.all(), days=30)
    assert not [r for r in rows if r.kind == "trainer"]


def test_the_page_the_report_and_the_api_give_the_trainers_recurrence(
    client, plant, retrained, coordinator
):
    _tom, document, _sean, una = retrained
    deviation(plant, "DEV-2026-0006", una, document)
    client.force_login(coordinator)

    api = client.get(reverse("api:training-effectiveness"), {"days": "30"})
    assert api.status_code == 200, api.content
    (row,) = [r for r in api.json() if r["kind"] == "trainer" and r["label"] == "Tom Trainer"]
    assert (row["retrainings"], row["recurred"], row["trained"]) == (1, 1, 2)
    assert client.get(reverse("api:training-effectiveness"), {"days": "0"}).status_code == 400

    page = client.get(reverse("web:coordinator_effectiveness"), {"days": "30"}).content.decode()
    trainers = page[page.index("Per trainer") :]
    assert "Recurred after retraining" in trainers
    tom_line = trainers[trainers.index("Tom Trainer") :].split("</tr>")[0]
    assert '<td>1</td><td><span class="badge bad">1</span></td>' in tom_line

    report = client.get(
        reverse("web:report-training-effectiveness"), {"days": "30", "format": "csv"}
    )
    assert report.status_code == 200
    text = (b"".join(report.streaming_content) if report.streaming else report.content).decode()
    (line,) = [x for x in csv.reader(io.StringIO(text)) if x[:2] == ["trainer", "Tom Trainer"]]
    assert (line[7], line[8]) == ("1", "1")  # CAPA retrainings, recurred after retraining
