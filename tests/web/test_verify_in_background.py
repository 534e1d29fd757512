"""P143: audit verification from the inspector's page runs as a background task, not
inside the request; the page follows it with a progress bar and an estimate (htmx
polling, no inline script) and then shows the verification's result. Background
report exports show their progress and estimate alike."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualify.audit.models import RunStatus, VerificationRun
from qualify.audit.verify import verify_trail
from tests.web import pages_support

plant = pages_support.plant  # the shared plant fixture of the page tests

pytestmark = [pytest.mark.requirement("P143", "A4"), pytest.mark.django_db]


def test_asking_for_verification_queues_it_and_the_request_reads_no_event(
    client,
    auditor,
    plant,
):
    """The POST only queues the run: the request does not read the audit events; the
    page then polls the run and shows it waiting, with a progress element."""
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("web:inspector_verify"))
    run = VerificationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:inspector_verify_run", args=[run.pk])
    assert not [q for q in queries.captured_queries if 'from "audit_event"' in q["sql"].lower()]
    assert run.status == RunStatus.QUEUED
    assert run.requested_by == auditor
    page = client.get(response["Location"], headers={"HX-Request": "true"})
    body = page.content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert "<progress" in body
    assert "waiting for a worker" in body
    assert "<script" not in body


def test_the_background_task_verifies_records_its_progress_and_the_page_shows_the_result(
    client,
    auditor,
    plant,
    django_capture_on_commit_callbacks,
):
    """The task (run by the test's immediate backend once the request committed) gives
    the result verify_trail gives; the run kept the stages it went through; the finished
    page stops polling."""
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:inspector_verify"))
    run = VerificationRun.objects.get()
    expected = verify_trail()
    assert run.status == RunStatus.DONE
    assert run.intact is True
    assert run.summary == expected.summary()
    assert run.stage == "records"
    assert run.done == run.total > 0
    assert run.started_at <= run.finished_at
    page = client.get(response["Location"], headers={"HX-Request": "true"})
    body = page.content.decode()
    assert "intact" in body
    assert expected.root_hash in body
    assert "hx-trigger" not in body
    assert client.get(reverse("web:inspector_verify")).context["run"] == run


def test_a_running_verification_shows_its_stage_share_and_time_left(client, auditor, plant):
    from django.utils import timezone

    client.force_login(auditor)
    run = VerificationRun.objects.create(
        requested_by=auditor,
        requested_at=timezone.now(),
        started_at=timezone.now() - timezone.timedelta(seconds=30),
        status=RunStatus.RUNNING,
        stage="events",
        done=25_000,
        total=100_000,
    )
    body = client.get(
        reverse("web:inspector_verify_run", args=[run.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'value="25"' in body
    assert "checking the chain, tree and MACs of 100000 events" in body
    assert "about 2 min left" in body  # 30 s for a quarter: 90 s more


def test_another_users_run_is_not_shown_and_an_employee_may_not_verify(
    client,
    auditor,
    admin,
    employee,
    plant,
):
    client.force_login(auditor)
    client.post(reverse("web:inspector_verify"))
    run = VerificationRun.objects.get()
    client.force_login(admin)
    assert client.get(reverse("web:inspector_verify_run", args=[run.pk])).status_code == 404
    client.force_login(employee)
    assert client.post(reverse("web:inspector_verify")).status_code == 403
    assert VerificationRun.objects.count() == 1


@pytest.mark.requirement("P143")
def test_a_background_export_page_shows_a_bar_and_the_time_left(client, auditor, plant):
    from django.utils import timezone

    from qualify.reports.models import ExportStatus, ReportExport

    export = ReportExport.objects.create(
        report="compliance",
        format="csv",
        requested_by=auditor,
        requested_at=timezone.now(),
        started_at=timezone.now() - timezone.timedelta(seconds=20),
        status=ExportStatus.RUNNING,
        rows_done=400,
        rows_estimate=1000,
    )
    client.force_login(auditor)
    body = client.get(
        reverse("web:report_export", args=[export.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert '<progress max="100" value="40">' in body
    assert "about 30 s left" in body
    assert 'hx-trigger="every 2s"' in body
