"""Training effectiveness (P46): first-attempt pass rate per document and trainer."""

from decimal import Decimal

import pytest
from django.utils import timezone

from qualify.quality.models import Deviation
from qualify.quality.queries.effectiveness import effectiveness
from qualify.training.models import Evidence, TrainingRecord
from tests.training.engine_history import History, day

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("P46")
def test_first_attempt_pass_rate_counts_only_each_persons_first_scored_attempt():
    """Two people assessed on SOP-1: one failed then passed (counts as a first-attempt
    failure), one passed first time: 1 of 2, per document and per trainer."""
    h = History()
    doc = h.document(versions=[(-10, True)])
    r = h.requirement(doc, evidence_required=Evidence.ASSESSMENT, pass_mark=Decimal("80"))
    trainer = h.person("trainer")
    first, second = h.person("a"), h.person("b")
    h.record(first, r, completed=day(1), score=Decimal("60"), trainer=trainer)
    h.record(first, r, completed=day(2), score=Decimal("90"), trainer=trainer)
    h.record(second, r, completed=day(1), score=Decimal("85"), trainer=trainer)
    rows = effectiveness(TrainingRecord.objects.all(), Deviation.objects.none(), days=30)
    by_kind = {row.kind: row for row in rows}
    assert (by_kind["document"].assessed, by_kind["document"].first_passed) == (2, 1)
    assert by_kind["document"].pass_rate == 0.5
    assert (by_kind["trainer"].assessed, by_kind["trainer"].first_passed) == (2, 1)
    assert by_kind["document"].trained == 2
    assert by_kind["document"].deviations == 0


@pytest.mark.requirement("P46")
def test_deviations_after_training_and_recurrence_after_capa_retraining_are_counted(plant):
    """An operator retrained on SOP-077 through a CAPA is named with SOP-077 in a
    deviation afterwards: one deviation within the window, the retraining recurred;
    a deviation on another document is not attributed to SOP-077."""
    from qualify.quality import services
    from qualify.quality.models import CapaAction
    from tests.quality.test_capa import raise_capa, retrain

    document = plant.document("SOP-077")
    plant.approve(plant.revise(document, "1"))
    other = plant.document("SOP-078")
    requirement = plant.requirement("SOP-077-RU", document=document)
    [operator] = plant.operator_crew(1)
    capa = raise_capa(plant)
    retrain(plant, capa, requirement, effectiveness_check="none")
    plant.complete(operator, requirement)
    action = CapaAction.objects.get(capa=capa)
    assert action.training_completed_at is not None
    for number, involved in (("DEV-2026-0001", document), ("DEV-2026-0002", other)):
        services.deviation_create(
            actor=plant.qa,
            number=number,
            site=plant.site,
            occurred_at=timezone.now(),
            description="Line clearance skipped",
            people=[operator],
            documents=[involved],
        )
    rows = effectiveness(TrainingRecord.objects.all(), Deviation.objects.all(), days=30)
    (sop,) = [r for r in rows if r.kind == "document" and r.label.startswith("SOP-077")]
    assert (sop.trained, sop.deviations, sop.retrainings, sop.recurred) == (1, 1, 1, 1)
    assert (
        effectiveness(TrainingRecord.objects.all(), Deviation.objects.none(), days=30)[0].recurred
        == 0
    )


@pytest.mark.requirement("P46")
def test_the_effectiveness_page_and_report_show_the_same_figures(client, plant, coordinator):
    from django.urls import reverse

    document = plant.document("SOP-077")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("SOP-077-RU", document=document)
    [operator] = plant.operator_crew(1)
    plant.matrix(requirement)
    plant.complete(operator, requirement)
    client.force_login(coordinator)
    page = client.get(reverse("web:coordinator_effectiveness"), {"days": "30"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "SOP-077" in text
    assert "within 30 days" in text
    assert client.get(reverse("web:coordinator_effectiveness"), {"days": "x"}).status_code == 200
    report = client.get(reverse("web:report-training-effectiveness"), {"days": "30"})
    assert report.status_code == 200
    assert "SOP-077" in report.content.decode()
