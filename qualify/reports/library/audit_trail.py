"""Audit trail [audit-trail]: the audit events (A1) found by person (as actor, or the
person the record is), record, action, period and client; each with the actor's printed
name, the reason, the old and new values in words and its verification status (its hash
follows from the previous event's and its indexed columns match its entry, A3).

The actor's role at the time is read from the actor's access history
(`qualify.accounts.queries.access_history`, as the access-rights report reads it): the
roles held at the event's instant.

A client-restricted user (U2) sees only the events of records they may see: the rows
start from `qualify.reports.queries.audit_events`, the one restriction the API's audit
list and the audit-trail pages share; the command line without --user sees everything."""

import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from qualify.accounts.queries import access_history
from qualify.audit.models import AuditEvent
from qualify.audit.trail import GENESIS, chain_next
from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Client, JobFunction
from qualify.org.scoping import restricted_clients
from qualify.reports import scope
from qualify.reports.params import BadParameters
from qualify.reports.queries import audit_events, record_ids, rule_of
from qualify.reports.registry import CITE, Column, Param, Report, ReportRequest, register
from qualify.training.models import Assignment, Requirement, TrainingRecord

# The `client` parameter: the records that belong to a client, with the path to it.
# (A filter the reader chooses, not the restriction: that is audit_events.)
OF_CLIENT = {
    "documents.document": (Document, "client"),
    "documents.documentversion": (DocumentVersion, "document__client"),
    "training.requirement": (Requirement, "client"),
    "training.assignment": (Assignment, "requirement__client"),
    "training.trainingrecord": (TrainingRecord, "requirement__client"),
    "org.jobfunction": (JobFunction, "client"),
}
CHUNK = 2000


def _of_client(client: Client) -> Q:
    """Events of records of this client."""
    q = Q(pk__in=[])
    for object_type, (model, field) in OF_CLIENT.items():
        rows = model.objects.filter(**{field: client})
        q |= Q(object_type=object_type, object_id__in=record_ids(rows))
    return q


class _RolesAt:
    """The roles each actor held at an instant, one access history per actor."""

    def __init__(self) -> None:
        self.held: dict[int, list] = {}

    def __call__(self, user_id: int | None, at: Any) -> str:
        if user_id is None:
            return "(system)"
        if user_id not in self.held:
            user = get_user_model().objects.filter(pk=user_id).first()
            history = access_history(user) if user is not None else None
            self.held[user_id] = (
                [h for h in history.holdings if h.kind == "role"] if history else []
            )
        names = sorted(
            h.label
            for h in self.held[user_id]
            if h.since <= at and (h.until is None or at < h.until)
        )
        return ", ".join(names) or "(no role)"


def words(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def events(request: ReportRequest) -> QuerySet[AuditEvent]:
    """The events asked for, in sequence order, through the client restriction."""
    p = request.params
    rows = audit_events(request.user)
    if p.get("from"):
        rows = rows.filter(recorded_at__gte=p["from"])
    if p.get("to"):
        rows = rows.filter(recorded_at__lt=p["to"])
    if p.get("action"):
        rows = rows.filter(action__istartswith=p["action"])
    if "record" in request.context:
        object_type, object_id = request.context["record"]
        rows = rows.filter(object_type=object_type, object_id=object_id)
    if "client" in request.context:
        rows = rows.filter(_of_client(request.context["client"]))
    if "who" in request.context:
        user_id, person_id = request.context["who"]
        who = Q(pk__in=[])
        if user_id is not None:
            who |= Q(actor_id=user_id)
        if person_id is not None:
            who |= Q(object_type="org.person", object_id=str(person_id))
            who |= Q(
                object_type="training.trainingrecord",
                object_id__in=record_ids(TrainingRecord.objects.filter(person_id=person_id)),
            )
            who |= Q(
                object_type="training.assignment",
                object_id__in=record_ids(Assignment.objects.filter(person_id=person_id)),
            )
        rows = rows.filter(who)
    return rows.order_by("seq")


@register
class AuditTrail(Report):
    name = "audit-trail"
    title = "Audit trail"
    question = (
        "Who changed what, when and why, with the old and new values, and does each entry "
        "still verify?"
    )
    params = (
        Param("person", "Person", "text", help="User id or employee number: as actor or subject."),
        Param("record", "Record", "text", help="type:id, e.g. training.trainingrecord:12."),
        Param("action", "Action", "text", help="An action or its beginning, e.g. training."),
        Param("from", "From", "instant", help="Start of the period (included)."),
        Param("to", "To", "instant", help="End of the period (excluded); default now."),
        Param("client", "Client", "text", help="Client code: events of that client's records."),
    )
    columns = (
        Column("seq", "Sequence", "number"),
        Column("recorded_at", "Recorded", "time"),
        Column("actor", "Actor", doc="Printed name (user id) at the time of the event"),
        Column("actor_role", "Actor's role", doc="The roles the actor held at the time"),
        Column("action", "Action"),
        Column("object_type", "Record type"),
        Column("object_id", "Record"),
        Column("changes", "Changes", doc="field: old → new, separated by semicolons"),
        Column("reason", "Reason"),
        Column("verified", "Verified", "bool", "Chains to the previous event; columns match"),
    )
    large = 5000

    def prepare(self, request: ReportRequest) -> None:
        p, errors = request.params, {}
        if p.get("from") and p.get("to") and p["from"] >= p["to"]:
            errors["to"] = "The end of the period must come after its start."
        if p.get("record"):
            object_type, _, object_id = p["record"].partition(":")
            if not object_id.strip():
                errors["record"] = "Name the record as type:id, e.g. training.trainingrecord:12."
            request.context["record"] = (object_type.strip().lower(), object_id.strip())
        if p.get("client"):
            client = Client.objects.filter(code__iexact=p["client"]).first()
            clients = None if request.user is None else restricted_clients(request.user)
            if client is None or (clients is not None and client.pk not in clients):
                errors["client"] = "No client you may see has this code."
            request.context["client"] = client
        if p.get("person"):
            key = p["person"]
            person = (
                scope.people(request.user, rule_of(self.name))
                .filter(Q(employee_number__iexact=key) | Q(user__username__iexact=key))
                .first()
            )
            user = get_user_model().objects.filter(username__iexact=key).first()
            if person is None and user is None:
                errors["person"] = "No person or user has this employee number or user id."
            user_id = user.pk if user else (person.user_id if person else None)
            request.context["who"] = (user_id, person.pk if person else None)
        if errors:
            raise BadParameters(errors)

    def estimate(self, request: ReportRequest) -> int:
        return events(request).count()

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        return [("Events", str(events(request).count()))]

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        previous: tuple[int, str] | None = None
        roles_at = _RolesAt()
        rows = events(request).values_list(
            "seq",
            "entry",
            "chain_hash",
            "action",
            "object_type",
            "object_id",
            "recorded_at",
            "actor_id",
        )
        for seq, entry, chain_hash, action, object_type, object_id, at, actor_id in rows.iterator(
            chunk_size=CHUNK
        ):
            if previous is not None and previous[0] == seq - 1:
                before = previous[1]
            elif seq == 1:
                before = GENESIS
            else:
                before = (
                    AuditEvent.objects.filter(seq=seq - 1)
                    .values_list("chain_hash", flat=True)
                    .first()
                    or ""
                )
            previous = (seq, chain_hash)
            data = json.loads(entry)
            verified = (
                bool(before)
                and chain_next(before, entry)[1] == chain_hash
                and data.get("action") == action
                and data.get("object_type") == object_type
                and str(data.get("object_id")) == object_id
            )
            changes = data.get("changes") or {}
            yield {
                "seq": seq,
                "recorded_at": at,
                "actor": f"{data.get('actor_name', '')} ({data.get('actor_username', '')})",
                "actor_role": roles_at(actor_id, at),
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "changes": "; ".join(
                    f"{field}: {words(old)} → {words(new)}"
                    for field, (old, new) in sorted(changes.items())
                ),
                "reason": data.get("reason", ""),
                "verified": verified,
                CITE: None,
            }
