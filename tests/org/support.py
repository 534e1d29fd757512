"""Small helpers shared by the org and documents tests."""

import datetime as dt

from qualify.audit.models import AuditEvent
from qualify.audit.registry import object_type_of


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def audit_events(obj, action: str | None = None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(object_type=object_type_of(obj), object_id=str(obj.pk))
    if action:
        rows = rows.filter(action=action)
    return list(rows.order_by("seq"))


def audit_count() -> int:
    return AuditEvent.objects.count()
