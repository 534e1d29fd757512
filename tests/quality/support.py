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


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
