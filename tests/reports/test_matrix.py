"""Training matrix report (issue 13): the matrix as of a date (job function by
requirement or curriculum, window; T2, G1, G2) and every change in a period (added,
changed, ended; reason; the QA signature's name, time and meaning, S1), the same in
CSV, XLSX and the PDF and the same as the training matrix query."""

import datetime as dt

import pytest
from django.utils import timezone

from qualify.signatures.services import signatures_of
from qualify.training import queries as training_queries
from qualify.training import services as training
from tests.quality.plant import creds
from tests.reports.test_more_reports import all_formats


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def changed(situation):
    """Before: operators require RQ-100 (30 days). Then QA approves RQ-200 for the
    operators, and RQ-100's entry is ended and re-added with a 14-day window."""
    s = situation
    plant = s.plant
    before = timezone.now()
    rq200 = plant.requirement("RQ-200", document=s.sop200)
    added = plant.matrix(rq200)
    old = training_queries.matrix_entries(s.coordinator).get(requirement=s.rq)
    ended = training.matrix_entry_end(
        actor=s.coordinator,
        entry=old,
        reason="Window shortened after CAPA-7",
        qa_actor=s.qa,
        qa_credentials=creds(s.qa),
    )
    renewed = training.matrix_entry_add(
        actor=s.coordinator,
        job_function=plant.operators,
        requirement=s.rq,
        window_days=14,
        reason="Window shortened after CAPA-7",
        qa_actor=s.qa,
        qa_credentials=creds(s.qa),
    )
    return before, added, ended, renewed


@pytest.mark.requirement("T2", "G1", "S1", "P19")
def test_matrix_in_force_and_its_changes_agree_in_every_format_and_with_the_query(
    situation, changed
):
    s = situation
    before, added, ended, renewed = changed
    rows, text = all_formats("matrix", {}, s.auditor)
    now = timezone.now()
    held = [
        e
        for e in training_queries.matrix_entries(s.auditor)
        if e.valid_from <= now and (e.valid_to is None or e.valid_to > now)
    ]
    in_force = [r for r in rows if r["fact"] == "in force"]
    assert sorted(int(r["entry"]) for r in in_force) == sorted(e.pk for e in held)
    assert {(r["target"], r["window_days"]) for r in in_force} == {
        ("RQ-100", "14"),
        ("RQ-200", "30"),
    }
    # Every change of the period, in the order recorded, with its reason and signature.
    changes = [
        (r["change"], r["target"], int(r["entry"]), r["reason"], r["meaning"])
        for r in rows
        if r["fact"] == "change" and int(r["entry"]) in {added.pk, ended.pk, renewed.pk}
    ]
    assert changes == [
        ("added", "RQ-100", ended.pk, "Operators run this SOP", "Approved"),
        ("added", "RQ-200", added.pk, "Operators run this SOP", "Approved"),
        ("ended", "RQ-100", ended.pk, "Window shortened after CAPA-7", "Closed"),
        ("changed", "RQ-100", renewed.pk, "Window shortened after CAPA-7", "Approved"),
    ]
    ending = next(r for r in rows if r["change"] == "ended")
    signature = signatures_of(ended).get(meaning="closed")
    assert ending["signed_by"] == f"{signature.printed_name} ({signature.username})"
    assert ending["signed_at_utc"].startswith(iso(signature.signed_at))
    assert ending["valid_to_utc"].startswith(iso(ended.valid_to))
    assert ending["signature"] == "valid"
    assert {r["signature"] for r in rows} == {"valid"}
    assert "Window shortened after CAPA-7" in text
    assert "Entries in force" in text
    assert "2 added, 1 changed, 1 ended" in text.replace("\n", " ")
    # As of a moment before the changes: RQ-100 with its 30-day window alone.
    rows_then, _ = all_formats("matrix", {"at": before.isoformat()}, s.auditor)
    then = [(r["target"], r["window_days"]) for r in rows_then if r["fact"] == "in force"]
    assert then == [("RQ-100", "30")]


@pytest.mark.requirement("Q7", "T2", "P19")
def test_matrix_as_known_before_the_changes_leaves_them_out(situation, changed):
    s = situation
    before, *_ = changed
    rows, _ = all_formats(
        "matrix", {"at": timezone.now().isoformat(), "as_known_at": before.isoformat()}, s.auditor
    )
    held = [r for r in rows if r["fact"] == "in force"]
    # The end recorded later does not count: RQ-100's first entry still holds, open.
    assert [(r["target"], r["window_days"], r["valid_to_utc"]) for r in held] == [
        ("RQ-100", "30", "")
    ]
    assert [r for r in rows if r["fact"] == "change" and r["change"] != "added"] == []
