"""Compliance and audit-trail reports (issue 13): the figures in CSV, XLSX and the PDF
agree with each other and with the source queries (Q6 compliance summary, the audit
trail itself, A1/A3)."""

import datetime as dt
import re

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.reports import queries as reports_queries
from qualify.reports import services
from qualify.reports.library import compliance
from qualify.reports.params import BadParameters
from qualify.training import queries as training_queries
from tests.reports.pdftext import pdf_text
from tests.reports.test_exports import csv_rows, export, xlsx_rows


def all_formats(name, raw, user):
    data_csv, _ = export(name, raw, user, "csv")
    data_xlsx, _ = export(name, raw, user, "xlsx")
    data_pdf, _ = export(name, raw, user, "pdf")
    rows = csv_rows(data_csv)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "audit_event"} for r in rs]  # noqa: E731
    assert strip(rows) == strip(xlsx_rows(data_xlsx))
    return rows, pdf_text(data_pdf)


def make_bob_overdue(s):
    """Bob's RQ-100 assignment is open; judged 40 days on it is past its 30-day window."""
    return timezone.now() + dt.timedelta(days=40)


@pytest.mark.requirement("Q6", "P19")
def test_compliance_figures_agree_with_the_compliance_summary_and_name_the_people(situation):
    s = situation
    rows, text = all_formats("compliance", {}, s.coordinator)
    # Now: nobody is past a due date.
    now = services.timezone.now()
    for by in ("site", "department", "job_function"):
        expected = {
            r.name: (r.people, r.compliant)
            for r in training_queries.compliance_summary(by=by, at=now)
        }
        got: dict[str, list[int]] = {}
        for r in rows:
            if r["dimension"] == by:
                entry = got.setdefault(r["group"], [0, 0])
                entry[0] += 1
                entry[1] += r["compliant"] == "yes"
        assert {k: tuple(v) for k, v in got.items()} == expected, by
    operators = {r["person"] for r in rows if r["dimension"] == "job_function"}
    assert operators == {"Ann Operator", "Bob Operator", "Carl Operator"}
    assert re.search(r"Job function: Manufacturing operator\W+3 of 3 compliant", text)


@pytest.mark.requirement("Q6", "P19")
def test_compliance_as_of_a_later_date_counts_the_overdue_person_by_group_by(situation):
    s = situation
    request = services.report_request("compliance", {"by": "job_function"}, user=s.coordinator)
    request.params["at"] = make_bob_overdue(s)
    figures = compliance.figures(request, "job_function")
    rows = list(request.report.rows(request))
    assert figures == [("Manufacturing operator", 3, 2)]
    late = [r["person"] for r in rows if not r["compliant"]]
    assert late == ["Bob Operator"]
    expected = training_queries.compliance_summary(by="job_function", at=request.at)
    assert [(r.name, r.people, r.compliant) for r in expected] == figures


@pytest.mark.requirement("A1", "A3", "P19")
def test_audit_trail_lists_the_events_asked_for_verified_with_reason_and_values(situation):
    s = situation
    raw = {"person": s.carl.employee_number, "action": "training.record"}
    rows, text = all_formats("audit-trail", raw, s.auditor)
    carl_records = [str(s.carl_record.pk), str(s.corrected.pk)]
    expected = AuditEvent.objects.filter(
        Q(object_type="training.trainingrecord", object_id__in=carl_records)
        | Q(actor_id=s.carl.user_id),
        action__startswith="training.record",
    ).values_list("seq", flat=True)
    assert [int(r["seq"]) for r in rows] == sorted(expected)
    assert rows
    assert all(r["verified"] == "yes" for r in rows)
    correction = [r for r in rows if r["reason"] == "Notes were typed on the wrong record"]
    assert correction
    assert any("HYPERLINK" in r["changes"] for r in rows)
    assert all(r["actor"] for r in rows)
    assert "Notes were typed on the wrong record" in text


@pytest.mark.requirement("A3", "P19")
def test_audit_trail_of_a_period_matches_the_trail_and_refuses_a_reversed_period(situation):
    s = situation
    first = AuditEvent.objects.order_by("seq")[5]
    start = first.recorded_at
    request = services.report_request("audit-trail", {"from": start.isoformat()}, user=s.auditor)
    seqs = [r["seq"] for r in request.report.rows(request)]
    assert seqs == list(
        AuditEvent.objects.filter(recorded_at__gte=start)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    with pytest.raises(BadParameters):
        services.report_request(
            "audit-trail",
            {"from": timezone.now().isoformat(), "to": start.isoformat()},
            user=s.auditor,
        )


@pytest.mark.requirement("U2", "P19")
def test_the_administrator_sees_the_reports_menu_and_only_the_system_reports(client, admin):
    client.force_login(admin)
    page = client.get("/", follow=True)
    assert b"Reports" in page.content
    listing = client.get(reverse("web:reports"))
    assert listing.status_code == 200
    # Accounts and the system, never GxP content: the administrator reads no training
    # or quality report (U2).
    assert [r.name for r in reports_queries.reports_for(admin)] == [
        "access-rights",
        "audit-trail",
        "system-history",
    ]


@pytest.mark.requirement("A1", "P19")
def test_audit_trail_names_the_actor_s_role_held_at_the_time_of_each_event(situation):
    from qualify.accounts.queries import access_history

    s = situation
    rows, text = all_formats(
        "audit-trail", {"person": s.qa.username, "action": "quality"}, s.auditor
    )
    assert rows
    held = [h for h in access_history(s.qa).holdings if h.kind == "role"]
    for row in rows:
        event = AuditEvent.objects.get(seq=int(row["seq"]))
        expected = sorted(
            h.label
            for h in held
            if h.since <= event.recorded_at and (h.until is None or event.recorded_at < h.until)
        )
        assert expected
        assert row["actor_role"] == ", ".join(expected)
    assert rows[0]["actor_role"] in text
