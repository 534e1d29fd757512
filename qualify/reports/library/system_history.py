"""System history [system-history]: the software version, the migrations applied and
the security-relevant configuration changes, as recorded in the audit trail
(qualify.audit.system), up to any date (--at). The summary states what was in force
at that date: the version and the settings last recorded before it."""

import json
from collections.abc import Iterator
from typing import Any

from qualify.audit.models import AuditEvent
from qualify.audit.system import SETTINGS_CHANGED, UPGRADED
from qualify.reports.registry import AT, CITE, Column, Report, ReportRequest, register


def _events(request: ReportRequest):
    return AuditEvent.objects.filter(
        action__in=[UPGRADED, SETTINGS_CHANGED], recorded_at__lte=request.at
    ).order_by("seq")


def in_force(request: ReportRequest) -> tuple[str, dict[str, Any], int]:
    """The version, the settings and the number of migrations known at request.at."""
    version, config, migrations = "not recorded", {}, 0
    for event in _events(request):
        detail = event.data.get("detail", {})
        if event.action == UPGRADED:
            version = detail.get("new_version", version)
            migrations += len(detail.get("migrations", []))
        else:
            config = detail.get("settings", {})
    return version, config, migrations


@register
class SystemHistory(Report):
    name = "system-history"
    title = "System history"
    question = (
        "Which software version, migrations and security settings were in force at a date, "
        "and when did they change?"
    )
    params = (AT,)
    columns = (
        Column("seq", "Sequence", "number"),
        Column("recorded_at", "Recorded", "time"),
        Column("event", "Event", doc="System upgraded, or Security settings changed"),
        Column("old_version", "Old version"),
        Column("new_version", "New version"),
        Column("migrations", "Migrations applied", doc="app.migration, separated by semicolons"),
        Column("changes", "Settings changed", doc="NAME: old → new, separated by semicolons"),
    )

    def estimate(self, request: ReportRequest) -> int:
        return _events(request).count()

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        version, config, migrations = in_force(request)
        return [
            ("Software version in force", version),
            ("Migrations applied in recorded upgrades", str(migrations)),
            ("Security settings recorded", str(len(config))),
        ]

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        for event in _events(request).iterator():
            detail = event.data.get("detail", {})
            row = {
                "seq": event.seq,
                "recorded_at": event.recorded_at,
                "old_version": "",
                "new_version": "",
                "migrations": "",
                "changes": "",
                CITE: None,
            }
            if event.action == UPGRADED:
                row["event"] = "System upgraded"
                row["old_version"] = detail.get("old_version", "")
                row["new_version"] = detail.get("new_version", "")
                row["migrations"] = "; ".join(detail.get("migrations", []))
            else:
                row["event"] = "Security settings changed"
                new, old = detail.get("settings", {}), detail.get("old", {})
                row["changes"] = "; ".join(
                    f"{k}: {json.dumps(old.get(k))} → {json.dumps(new.get(k))}"
                    if old
                    else f"{k}: {json.dumps(new.get(k))}"
                    for k in detail.get("changed", [])
                )
            yield row
