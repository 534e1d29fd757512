import datetime as dt
from contextlib import contextmanager

from qualify.audit.models import AuditEvent
from qualify.quality.models import (
    Capa,
    CapaAction,
    ChangeControl,
    Deviation,
    DeviationSnapshot,
    Execution,
)
from qualify.signatures.models import Signature
from qualify.training.models import Assignment

QUALITY_TABLES = (ChangeControl, Capa, CapaAction, Deviation, DeviationSnapshot, Execution)


def counts() -> dict[str, int]:
    """Row counts of everything a refused operation must leave untouched."""
    models = (*QUALITY_TABLES, AuditEvent, Signature, Assignment)
    return {m._meta.label: m.objects.count() for m in models}


@contextmanager
def nothing_written():
    before = counts()
    try:
        yield
    finally:
        assert counts() == before, "a refused operation wrote something"


@contextmanager
def only_refusal_recorded(action: str):
    """Nothing written but one audit event of the refusal (A5)."""
    before = counts()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    try:
        yield
    finally:
        after = counts()
        events = list(AuditEvent.objects.filter(seq__gt=last).values_list("action", flat=True))
        assert events == [action], f"expected only the refusal's event, got {events}"
        after[AuditEvent._meta.label] -= 1
        assert after == before, "a refused operation wrote something"


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
