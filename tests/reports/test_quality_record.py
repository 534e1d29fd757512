"""Quality-record report (issue 13): a deviation with its training picture, its
signatures and its qualification snapshot (Q7) naming the records each answer rests
on; the same in CSV, XLSX and the PDF and the same as the quality picture query."""

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
