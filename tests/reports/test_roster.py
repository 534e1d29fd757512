"""Revision roster (issue 13): everyone who had to train on a revision — the
assignments made for it (G3) and everyone required through the matrix while it was in
force (Q5) — who completed when, and who performed the procedure before completing
(E1, E5); the same figures in CSV, XLSX and the PDF."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from qualify.reports import services
from qualify.reports.params import BadParameters
from qualify.training.models import Assignment
from tests.reports.pdftext import pdf_text
from tests.reports.test_exports import csv_rows, export, xlsx_rows


def roster(raw, user):
    data_csv, _ = export("revision-roster", raw, user, "csv")
    data_xlsx, _ = export("revision-roster", raw, user, "xlsx")
    data_pdf, _ = export("revision-roster", raw, user, "pdf")
    rows = csv_rows(data_csv)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "audit_event"} for r in rs]  # noqa: E731
    assert strip(rows) == strip(xlsx_rows(data_xlsx))
    return rows, pdf_text(data_pdf)


@pytest.mark.requirement("Q5", "G3", "E5", "P19")
def test_a_first_revision_trained_through_the_matrix_lists_every_operator(situation):
    s = situation
    rows, text = roster({"document": "SOP-100", "revision": "1"}, s.auditor)
    by_person = {r["person"]: r for r in rows}
    # Required through the matrix (Q5): the three operators; Tom holds no job function.
    assert sorted(by_person) == ["Ann Operator", "Bob Operator", "Carl Operator"]
    assert {r["required_by"] for r in rows} == {"matrix"}
    assert {r["requirement"] for r in rows} == {"RQ-100"}
    ann, bob, carl = (by_person[n] for n in ("Ann Operator", "Bob Operator", "Carl Operator"))
    assert (ann["status"], ann["record"], ann["completed_when"]) == (
        "completed",
        str(s.ann_record.pk),
        "after effective",
    )
    assert carl["status"] == "completed"
    assert carl["record"] in {str(s.carl_record.pk), str(s.corrected.pk)}
    # Bob never trained and worked under SOP-100 rev 1: performed before completing (E5).
    open_bob = Assignment.objects.get(person=s.bob, requirement=s.rq, status="open")
    assert (bob["status"], bob["record"], bob["completed_when"]) == ("open", "", "not completed")
    assert bob["assignment"] == str(open_bob.pk)
    assert bob["performed_before_completing"] == "1"
    assert ann["performed_before_completing"] == "0"
    assert bob["due_at_utc"].startswith(open_bob.due_at.strftime("%Y-%m-%dT%H:%M:%S"))
    for name in ("Ann Operator", "Bob Operator", "Carl Operator"):
        assert name in text
    assert re.search(r"Had to train\W*3\b", text)


@pytest.mark.requirement("G3", "Q2", "P19")
def test_a_retraining_revision_lists_the_assignments_it_made_and_the_previous_keeps_its_roster(
    situation,
):
    s = situation
    plant = s.plant
    rev2 = plant.approve(
        plant.revise(s.sop, "2"), effective_from=timezone.now() + dt.timedelta(days=31)
    )
    made = Assignment.objects.filter(document_version=rev2).order_by("person__full_name")
    assert made.count() == 3
    rows, _ = roster({"document": "SOP-100", "revision": "2"}, s.auditor)
    assert [(r["person"], r["required_by"], r["status"], r["assignment"]) for r in rows] == [
        (a.person.full_name, "revision (G3)", "open", str(a.pk)) for a in made
    ]
    assert all(r["completed_when"] == "not completed" for r in rows)
    # Rev 1's roster still names everyone who had to train on it while it was in force.
    rows1, _ = roster({"document": "SOP-100", "revision": "1"}, s.auditor)
    assert [r["person"] for r in rows1] == ["Ann Operator", "Bob Operator", "Carl Operator"]


@pytest.mark.requirement("P19")
def test_an_unknown_revision_is_refused_in_words(situation):
    with pytest.raises(BadParameters) as exc:
        services.report_request(
            "revision-roster", {"document": "SOP-100", "revision": "9"}, user=situation.auditor
        )
    assert "has no such revision" in str(exc.value)
