"""System history: an upgrade (a migrate applying migrations or a new version) and a
change of the security-relevant settings are audit events, and the system-history
report tells the version, migrations and settings in force at any date."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_migrate
from django.utils import timezone

from qualify.audit import system
from qualify.audit.models import AuditEvent
from qualify.reports import services


def _run(name, user, **params):
    request = services.report_request(name, params, user=user, zone="UTC")
    return request, list(request.report.rows(request))


@pytest.mark.requirement("A1", "A6")
def test_a_migrate_that_applies_migrations_records_the_upgrade(admin):
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration("reports", "0001_report_exports")
    # post_migrate as `migrate` sends it to the audit app, with the plan it applied.
    post_migrate.send(
        sender=apps.get_app_config("audit"),
        app_config=apps.get_app_config("audit"),
        verbosity=0,
        interactive=False,
        using="default",
        plan=[(migration, False)],
        apps=apps,
    )
    event = AuditEvent.objects.get(action=system.UPGRADED)
    detail = event.data["detail"]
    assert detail["migrations"] == ["reports.0001_report_exports"]
    assert detail["new_version"] == system.software_version()
    assert detail["old_version"] == "not recorded"
    # The settings are recorded with it, once.
    assert AuditEvent.objects.filter(action=system.SETTINGS_CHANGED).count() == 1

    # Nothing applied and the same version: nothing recorded.
    assert system.record_upgrade(migrations=[]) is None
    # A new version with no migration is an upgrade, naming the old one.
    system.record_upgrade(migrations=[], version="9.9.9")
    last = AuditEvent.objects.filter(action=system.UPGRADED).order_by("-seq").first()
    assert last.data["detail"]["old_version"] == system.software_version()
    assert last.data["detail"]["new_version"] == "9.9.9"


@pytest.mark.requirement("A1")
def test_a_flush_records_no_upgrade(admin):
    system.on_post_migrate(plan=None)
    assert not AuditEvent.objects.filter(action=system.UPGRADED).exists()


@pytest.mark.requirement("A6")
def test_a_changed_security_setting_is_recorded_once(admin, settings):
    first = system.record_settings()
    assert first is not None
    assert system.record_settings() is None  # unchanged: nothing new
    settings.QUALIFY_LOCKOUT_THRESHOLD = 9
    changed = system.record_settings()
    detail = AuditEvent.objects.get(seq=changed).data["detail"]
    assert detail["changed"] == ["QUALIFY_LOCKOUT_THRESHOLD"]
    assert detail["old"] == {"QUALIFY_LOCKOUT_THRESHOLD": 5}
    assert detail["settings"]["QUALIFY_LOCKOUT_THRESHOLD"] == 9
    # Secrets are never recorded, only whether they are set.
    assert detail["settings"]["SECRET_KEY"] == "set"


@pytest.mark.requirement("A6")
def test_an_empty_trail_records_nothing(db):
    assert system.record_settings() is None
    assert system.record_upgrade(migrations=["x.0001"]) is None
    assert not AuditEvent.objects.exists()


@pytest.mark.requirement("A1", "P15")
def test_the_system_history_report_tells_what_was_in_force_at_a_date(admin, auditor, settings):
    system.record_upgrade(migrations=["reports.0001_report_exports"], version="1.0")
    system.record_settings()
    between = timezone.now()
    settings.QUALIFY_IDLE_MINUTES = 30
    system.record_upgrade(migrations=["reports.0002_audit_trail_review"], version="1.1")
    system.record_settings()

    request, rows = _run("system-history", auditor)
    assert [r["event"] for r in rows] == [
        "System upgraded",
        "Security settings changed",
        "System upgraded",
        "Security settings changed",
    ]
    assert rows[2]["old_version"] == "1.0"
    assert rows[2]["new_version"] == "1.1"
    assert rows[2]["migrations"] == "reports.0002_audit_trail_review"
    assert rows[3]["changes"] == "QUALIFY_IDLE_MINUTES: 15 → 30"
    assert dict(request.report.summary(request))["Software version in force"] == "1.1"

    earlier = between.isoformat()
    request, rows = _run("system-history", auditor, at=earlier)
    assert len(rows) == 2
    summary = dict(request.report.summary(request))
    assert summary["Software version in force"] == "1.0"
    assert summary["Migrations applied in recorded upgrades"] == "1"
    assert rows[-1]["recorded_at"] <= between
