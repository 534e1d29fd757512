"""Reads for the inspector's pages: one record's audit trail with a per-object
verification, and a document's training status per version. Read-only."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count
from django.http import Http404

from qualify.audit.models import AuditEvent
from qualify.audit.registry import audited_models
from qualify.audit.services import record_hash_of
from qualify.audit.trail import GENESIS, chain_next
from qualify.documents.models import Document
from qualify.org.scoping import visible_object
from qualify.training.models import Assignment, TrainingRecord

# Where an object's owning client is (U2): its audit trail is as private as the record.
CLIENT_PATHS = {
    "documents.document": "client",
    "documents.documentversion": "document__client",
    "training.requirement": "client",
    "training.assignment": "requirement__client",
    "training.trainingrecord": "requirement__client",
    "training.matrixentry": "job_function__client",
    "org.jobfunction": "client",
}


@dataclass
class TrailRow:
    event: AuditEvent
    chain_ok: bool
    columns_ok: bool


@dataclass
class ObjectTrail:
    object_type: str
    object_id: str
    record: object | None
    rows: list[TrailRow] = field(default_factory=list)
    live_ok: bool | None = None  # None: no record or no hashed event
    live_reason: str = ""

    @property
    def ok(self) -> bool:
        return all(r.chain_ok and r.columns_ok for r in self.rows) and self.live_ok is not False


def object_trail(user, *, object_type: str, object_id: str) -> ObjectTrail:
    """Every audit event of one record, each checked against the chain (its hash follows
    from the previous event's), its indexed columns against its entry, and the live row
    against the record hash of its last event (A3, A4). 404 for another client's record."""
    model = audited_models().get(object_type)
    record = None
    if model is not None:
        path = CLIENT_PATHS.get(object_type)
        rows = model._base_manager.all()
        if path is not None:
            record = visible_object(rows, user, object_id, path)  # Http404 if hidden
        else:
            record = rows.filter(pk=object_id).first()
    events = list(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq")
    )
    if model is None and not events:
        raise Http404("No such record type.")
    previous = dict(
        AuditEvent.objects.filter(seq__in=[e.seq - 1 for e in events]).values_list(
            "seq", "chain_hash"
        )
    )
    trail = ObjectTrail(object_type, str(object_id), record)
    for event in events:
        before = GENESIS if event.seq == 1 else previous.get(event.seq - 1, "")
        chain_ok = bool(before) and chain_next(before, event.entry)[1] == event.chain_hash
        data = event.data
        columns_ok = (
            data.get("action") == event.action
            and str(data.get("object_id")) == event.object_id
            and data.get("object_type") == event.object_type
        )
        trail.rows.append(TrailRow(event, chain_ok, columns_ok))
    hashed = [e for e in events if e.record_hash]
    if record is not None and hashed:
        trail.live_ok = record_hash_of(record) == hashed[-1].record_hash
        trail.live_reason = (
            f"the live record matches its last audited state (#{hashed[-1].seq})"
            if trail.live_ok
            else f"the live record differs from its last audited state (#{hashed[-1].seq})"
        )
    elif record is None and model is not None and events:
        trail.live_ok = False
        trail.live_reason = "the record is gone"
    return trail


def document_training_status(document: Document) -> list[dict]:
    """Per version: assignments by status and training records made on it."""
    versions = list(document.versions.select_related("baseline").order_by("sequence"))
    by_status = Counter()
    for version_id, status, n in (
        Assignment.objects.filter(document_version__document=document)
        .values_list("document_version_id", "status")
        .annotate(n=Count("pk"))
    ):
        by_status[(version_id, status)] = n
    records = dict(
        TrainingRecord.objects.filter(document_version__document=document)
        .values_list("document_version_id")
        .annotate(n=Count("pk"))
    )
    people = dict(
        TrainingRecord.objects.filter(document_version__document=document)
        .values_list("document_version_id")
        .annotate(n=Count("person", distinct=True))
    )
    return [
        {
            "version": v,
            "open": by_status[(v.pk, "open")],
            "completed": by_status[(v.pk, "completed")],
            "superseded": by_status[(v.pk, "superseded")],
            "cancelled": by_status[(v.pk, "cancelled")],
            "records": records.get(v.pk, 0),
            "people": people.get(v.pk, 0),
        }
        for v in versions
    ]
