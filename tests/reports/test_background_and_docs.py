"""Large exports run as background tasks with progress and a download link, and the
file handed over is the one the audit event names (issue 13); the stable column names
of every report are the ones docs/reports.md documents."""

import hashlib
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from qualify.audit.models import AuditEvent
from qualify.reports import registry
from qualify.reports.models import ExportStatus, ReportExport
from tests.reports.test_exports import csv_rows

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reports.md"


@pytest.mark.requirement("P29", "A1")
def test_a_background_export_reports_progress_and_hands_over_the_audited_file(
    situation, django_capture_on_commit_callbacks
):
    s = situation
    api = APIClient()
    api.force_authenticate(s.auditor)
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            "/api/v1/reports/compliance/", {"format": "csv", "by": "site"}, format="json"
        )
    assert started.status_code == 202, started.content
    export = ReportExport.objects.get(pk=started.json()["id"])
    assert export.requested_by == s.auditor
    assert export.rows_estimate > 0
    status = api.get(f"/api/v1/reports/exports/{export.pk}/").json()
    assert status["status"] == ExportStatus.DONE
    assert status["percent"] == 100
    assert status["rows_done"] == export.rows_estimate  # one row per person at the site
    downloaded = api.get(status["file"])
    assert downloaded.status_code == 200
    data = b"".join(downloaded.streaming_content)
    assert hashlib.sha256(data).hexdigest() == status["sha256"]
    event = AuditEvent.objects.filter(action="report.exported").order_by("-seq").first()
    assert event.actor_id == s.auditor.pk
    assert event.data["detail"]["sha256"] == status["sha256"]
    assert event.data["detail"]["parameters"] == {"by": "site"}
    rows = csv_rows(data)
    assert {r["dimension"] for r in rows} == {"site"}
    assert len(rows) == status["rows_done"]
    # The file is handed to whoever asked for it only.
    other = APIClient()
    other.force_authenticate(s.qa)
    assert other.get(f"/api/v1/reports/exports/{export.pk}/").status_code == 404
    assert other.get(status["file"]).status_code == 404


@pytest.mark.requirement("P16", "P29")
def test_a_background_export_asked_for_in_anything_but_a_json_object_is_refused(situation):
    """A malformed or non-JSON body starts no export: before, a multipart body that
    parsed to nothing started one with every default (the API fuzz found it)."""
    api = APIClient()
    api.force_authenticate(situation.auditor)
    junk = api.post(
        "/api/v1/reports/access-rights/",
        data=b"--b\r\n-1.7e308--b--\r\n",
        content_type="multipart/form-data; boundary=b",
    )
    assert junk.status_code == 415, junk.content
    number = api.post("/api/v1/reports/access-rights/", data=b"12", content_type="application/json")
    assert number.status_code == 400, number.content
    assert not ReportExport.objects.exists()


@pytest.mark.requirement("P19")
def test_every_report_s_columns_are_documented_under_its_name():
    text = DOCS.read_text(encoding="utf-8")
    for report in registry.all_reports():
        heading = f"### `{report.name}`:"
        assert heading in text, report.name
        section = text.split(heading, 1)[1].split("\n### ", 1)[0]
        documented = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
        assert documented == report.export_columns(), report.name
