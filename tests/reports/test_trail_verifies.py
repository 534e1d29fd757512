"""`qualify audit verify` holds over the events the reports app writes: the system
history (an upgrade, a settings change), an audit-trail review opened, a finding and
its signature, an export handed over; and the live review records are in its record
check, so a review changed behind the application's back is named (A3, A4)."""

import io

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_migrate

from qualify.audit import system
from qualify.audit.models import AuditEvent
from qualify.reports import review as service
from qualify.reports import services
from qualify.reports.review_models import AuditReview, AuditReviewFinding
from qualify.signatures.services import Credentials
from tests.audit.helpers import run_audit, tamper
from tests.personas import PASSWORD


def _history_review_and_export(qa, auditor, settings):
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration("reports", "0002_audit_trail_review")
    post_migrate.send(
        sender=apps.get_app_config("audit"),
        app_config=apps.get_app_config("audit"),
        verbosity=0,
        interactive=False,
        using="default",
        plan=[(migration, False)],
        apps=apps,
    )
    settings.QUALIFY_LOCKOUT_THRESHOLD = 7
    system.record_settings()
    review = service.review_open(actor=qa)
    seq = service.covered_events(review).first().seq
    finding = service.review_note(actor=qa, review=review, seq=seq, note="Checked")
    service.review_sign(
        actor=qa,
        review=review,
        credentials=Credentials(username=qa.username, password=PASSWORD),
        conclusion="Nothing of note",
    )
    request = services.report_request("system-history", {}, user=auditor)
    services.report_export(actor=auditor, request=request, fmt="csv", sink=io.BytesIO())
    return review, finding


@pytest.mark.requirement("A3", "A4", "A1")
def test_audit_verify_holds_over_system_history_review_and_export_events(qa, auditor, settings):
    """Every kind of event the reports app writes verifies, chain, tree and records."""
    review, finding = _history_review_and_export(qa, auditor, settings)
    written = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        system.UPGRADED,
        system.SETTINGS_CHANGED,
        "report.audit_review.opened",
        "report.audit_review.finding",
        "report.audit_review.signed",
        "report.exported",
    } <= written
    error, output = run_audit("verify")
    assert error is None, output
    assert "intact" in output
    assert "NOT intact" not in output
    # The review and the finding are records the verification checks (A4).
    assert AuditEvent.objects.filter(
        object_type="reports.auditreview", object_id=str(review.pk)
    ).exclude(record_hash="")
    assert AuditEvent.objects.filter(
        object_type="reports.auditreviewfinding", object_id=str(finding.pk)
    ).exclude(record_hash="")


@pytest.mark.requirement("A4")
def test_a_signed_review_changed_behind_the_application_is_named(qa, auditor, settings):
    review, _ = _history_review_and_export(qa, auditor, settings)
    AuditReview.objects.filter(pk=review.pk).update(conclusion="Rewritten afterwards")
    error, output = run_audit("verify")
    assert error is not None, output
    assert f"reports.auditreview:{review.pk}: live row differs" in str(error) + output


@pytest.mark.requirement("A3")
def test_a_system_history_event_edited_in_the_trail_is_named(qa, auditor, settings):
    _history_review_and_export(qa, auditor, settings)
    seq = AuditEvent.objects.get(action=system.UPGRADED).seq
    tamper(
        "UPDATE audit_event SET entry = replace(entry, %s, %s) WHERE seq = %s",
        ["0002_audit_trail_review", "0002_audit_trail_reviex", seq],
    )
    error, output = run_audit("verify")
    assert error is not None, output
    assert f"#{seq}" in str(error) + output
    assert AuditReviewFinding.objects.count() == 1


@pytest.mark.requirement("A3", "P29")
def test_exports_rest_on_the_latest_checkpoint_until_a_record_changes(auditor, admin):
    """Signing a checkpoint verifies the whole trail, so an export signs one only when
    a record changed since the latest: its own signing event and other exports are no
    change (they made every export verify the trail again)."""
    from qualify.audit.models import Checkpoint
    from qualify.org import services as org

    def export():
        request = services.report_request("system-history", {}, user=auditor)
        produced = services.report_export(
            actor=auditor, request=request, fmt="csv", sink=io.BytesIO()
        )
        return produced.header.checkpoint

    first = export()
    assert first is not None
    assert export().pk == first.pk
    assert export().pk == first.pk
    assert Checkpoint.objects.count() == 1
    org.site_create(actor=admin, code="NEW", name="A change")
    after = export()
    assert after.pk != first.pk
    assert after.tree_size > first.tree_size
    assert (
        AuditEvent.objects.filter(seq__gt=after.tree_size)
        .exclude(action__in=("audit.checkpoint.signed", "report.exported"))
        .count()
        == 0
    )
