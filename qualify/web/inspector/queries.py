"""Reads for the inspector's pages: one record's audit trail with a per-object
verification, and a document's training status per version. Read-only."""

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from qualify.audit.models import AuditEvent
from qualify.audit.registry import audited_models
from qualify.audit.services import record_hash_of
from qualify.audit.trail import GENESIS, chain_next
from qualify.documents import queries as document_queries
from qualify.documents.models import Document
from qualify.edge import whole_number
from qualify.org import queries as org_queries
from qualify.org.scoping import restricted_clients
from qualify.quality import queries as quality_queries
from qualify.reports.queries import VISIBLE, own_account
from qualify.training import queries as training_queries
from qualify.training.models import Assignment, TrainingRecord

# U2: which records of each type a user may see is VISIBLE, one table shared with the
# audit-trail report and the API's audit list (qualify.reports.queries).


class NotFound(Exception):
    """No record by that name the user may see (missing and hidden read the same)."""


def visible_record(user: Any, object_type: str, object_id: str) -> Any | None:
    """The record, when `user` may see it; NotFound when it is hidden from them.
    None for a record that is gone (or a type with no table) but that an unrestricted
    user may still read the trail of."""
    model = audited_models().get(object_type)
    restricted = restricted_clients(user) is not None
    if object_type == "signatures.signature" and model is not None:
        # A signature is as visible as the record it signs.
        signature = model._base_manager.filter(pk=_int(object_id)).first()
        if signature is not None:
            visible_record(user, signature.object_type, signature.object_id)
            return signature
        if restricted:
            raise NotFound
        return None
    if object_type in VISIBLE:
        key = _int(object_id)
        record = VISIBLE[object_type](user).filter(pk=key).first() if key else None
        if record is None and (restricted or object_type == "accounts.user"):
            raise NotFound
        if record is None and model is not None:
            record = model._base_manager.filter(pk=key).first() if key else None
        return record
    if restricted:
        raise NotFound
    if model is None:
        return None
    key = _int(object_id)
    return model._base_manager.filter(pk=key).first() if key else None


def _int(value: Any) -> int | None:
    return whole_number(value)


# -- finding a record by the name people use -----------------------------------------

_REVISION = re.compile(r"^(?P<number>.+?)\s+rev(?:ision)?\.?\s*(?P<revision>\S+)$", re.I)
_NAMED_ID = re.compile(r"^(?P<label>[a-z][a-z ]*?)\s*(?:#|no\.?|number)?\s*(?P<id>\d+)$", re.I)


def _labels() -> dict[str, str]:
    """'training record' -> 'training.trainingrecord', for every audited model."""
    labels = {}
    for object_type, model in audited_models().items():
        labels[str(model._meta.verbose_name).lower()] = object_type
    labels.update({"record": "training.trainingrecord", "user": "accounts.user"})
    return labels


def find_record(user: Any, text: str) -> tuple[str, str]:
    """(object_type, object_id) of the record named by `text`, the way people name
    them: "training record 700", "SOP-014 rev 6", "SOP-014", "CAPA-2026-007",
    "DEV-2026-0150", a change control number, a requirement code, a person's employee
    number or a user id. NotFound when there is none the user may see."""
    text = " ".join((text or "").split())
    if not text or "\x00" in text:
        raise NotFound
    named = _NAMED_ID.match(text)
    if named:
        object_type = _labels().get(named["label"].strip().lower())
        if object_type is not None:
            visible_record(user, object_type, named["id"])
            return object_type, named["id"]
    revision = _REVISION.match(text)
    if revision:
        version = (
            document_queries.versions(user)
            .filter(
                document__number__iexact=revision["number"], revision__iexact=revision["revision"]
            )
            .first()
        )
        if version is not None:
            return "documents.documentversion", str(version.pk)
    lookups: list[tuple[str, QuerySet, str]] = [
        ("quality.capa", quality_queries.capas(user), "number__iexact"),
        ("quality.deviation", quality_queries.deviations(user), "number__iexact"),
        ("quality.changecontrol", quality_queries.change_controls(user), "number__iexact"),
        ("documents.document", document_queries.documents(user), "number__iexact"),
        ("training.requirement", training_queries.requirements(user), "code__iexact"),
        ("org.person", org_queries.people(user), "employee_number__iexact"),
        ("org.client", org_queries.clients(user), "code__iexact"),
        ("org.jobfunction", org_queries.job_functions(user), "code__iexact"),
        ("accounts.user", own_account(user), "username__iexact"),
    ]
    for object_type, rows, lookup in lookups:
        found = rows.filter(**{lookup: text}).values_list("pk", flat=True).first()
        if found is not None:
            return object_type, str(found)
    raise NotFound


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
    def label(self) -> str:
        """The record type in words ("training record"), never the internal name."""
        model = audited_models().get(self.object_type)
        return str(model._meta.verbose_name) if model is not None else "record"

    @property
    def ok(self) -> bool:
        return all(r.chain_ok and r.columns_ok for r in self.rows) and self.live_ok is not False


def object_trail(user, *, object_type: str, object_id: str) -> ObjectTrail:
    """Every audit event of one record, each checked against the chain (its hash follows
    from the previous event's), its indexed columns against its entry, and the live row
    against the record hash of its last event (A3, A4). NotFound for a record the user
    may not see (U2)."""
    model = audited_models().get(object_type)
    record = visible_record(user, object_type, object_id)  # NotFound if hidden
    events = list(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq")
    )
    if record is None and not events:
        raise NotFound
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
