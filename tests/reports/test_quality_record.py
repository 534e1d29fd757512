"""Quality-record report (issue 13): a deviation with its training picture, its
signatures and its qualification snapshot (Q7) naming the records each answer rests
on; the same in CSV, XLSX and the PDF and the same as the quality picture query."""

import datetime as dt

import pytest

from qualify.quality.models import Deviation
from qualify.quality.queries import picture
from qualify.reports import services
from qualify.reports.params import BadParameters
from tests.reports.test_more_reports import all_formats


@pytest.mark.requirement("Q7", "G5", "P19")
def test_a_deviation_report_agrees_with_its_snapshot_and_training_picture(situation):
    s = situation
    deviation = Deviation.objects.get(execution=s.bob_work)
    rows, text = all_formats("quality-record", {"number": deviation.number}, s.auditor)
    assert rows[0]["fact"] == "record"
    assert rows[0]["subject"] == f"Deviation {deviation.number}"
    training = [r for r in rows if r["fact"] == "training"]
    expected = picture.training_picture(deviation)
    assert [(r["subject"], r["requirement"]) for r in training] == [
        (f"{t['person']} ({t['employee_number']})", t["requirement"]) for t in expected
    ]
    snapshots = [r for r in rows if r["fact"] == "snapshot"]
    taken = list(deviation.snapshot.order_by("pk"))
    assert [(r["subject"], r["requirement"], r["qualified"]) for r in snapshots] == [
        (
            f"{x.person.full_name} ({x.person.employee_number})",
            x.document.number,
            "yes" if x.qualified_known_now else "no",
        )
        for x in taken
    ]
    bob = next(r for r in snapshots if r["subject"].startswith("Bob Operator"))
    assert bob["qualified"] == "no"
    assert bob["qualified_then"] == "no"
    assert deviation.number in text


@pytest.mark.requirement("P19")
def test_an_unknown_quality_record_number_is_refused_in_words(situation):
    with pytest.raises(BadParameters) as exc:
        services.report_request(
            "quality-record", {"number": "CAPA-2099-999"}, user=situation.auditor
        )
    assert "No CAPA, change control or deviation" in str(exc.value)


@pytest.mark.requirement("Q4", "P19")
def test_a_deviation_report_counts_recurrence_of_its_category_over_the_last_12_months(
    situation,
):
    from qualify.quality import services as quality
    from qualify.quality.models import DeviationCategory

    s = situation
    now = services.timezone.now()

    def report(category, days_ago, text):
        return quality.deviation_create(
            actor=s.qa,
            number="",
            site=s.plant.site,
            occurred_at=now - dt.timedelta(days=days_ago),
            description=text,
            category=category,
        )

    too_old = report(DeviationCategory.EQUIPMENT, 400, "Filler jammed, last year")
    earlier = report(DeviationCategory.EQUIPMENT, 100, "Filler jammed again")
    other_kind = report(DeviationCategory.TRAINING, 50, "Untrained operator")
    latest = report(DeviationCategory.EQUIPMENT, 1, "Filler jammed a third time")

    rows, text = all_formats("quality-record", {"number": latest.number}, s.auditor)
    assert rows[0]["evidence"] == "category: Equipment"
    recurrence = [r for r in rows if r["fact"] == "recurrence"]
    assert [r["subject"] for r in recurrence] == [
        f"Deviation {earlier.number}",
        f"Deviation {latest.number}",
    ]
    assert {r["requirement"] for r in recurrence} == {"Equipment"}
    assert too_old.number not in text
    assert other_kind.number not in text
    assert "2 deviations of this category in the 12 months" in text


@pytest.mark.requirement("P19")
def test_a_deviation_reported_without_a_category_and_the_gate_s_deviations_are_other(
    situation,
):
    from qualify.quality.models import DeviationCategory

    gate = Deviation.objects.get(execution=situation.bob_work)
    assert gate.category == DeviationCategory.OTHER
    rows, _ = all_formats("quality-record", {"number": gate.number}, situation.auditor)
    assert rows[0]["evidence"] == "category: Other"
