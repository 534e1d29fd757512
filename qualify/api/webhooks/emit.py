"""Events sent to webhook subscribers.

The hooks of the lower layers run inside the transaction of the change; the handler
here writes one delivery row per matching subscription in that transaction (an
outbox: no event is lost, none is sent for a change that rolls back) and queues the
sending after commit (transaction.on_commit), so no network call happens while a
row lock is held.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from qualify.api.models import WebhookDelivery, WebhookSubscription

EVENTS = {
    "person.job_assignment.started": "A person gained a job function (HR feed or pages)",
    "person.job_assignment.ended": "A person's job function ended",
    "person.deactivated": "A person was deactivated",
    "document.version.approved": "A version was approved; effective from `effective_from`",
    "document.obsoleted": "A document was made obsolete",
    "training.record.signed": "A training record was signed and completed an assignment",
    "training.assignment.created": (
        "Assignments were created (one event per fan-out, up to 500 in `assignments`)"
    ),
    "training.qualification.lost": (
        "People lose a qualification at `lost_at`: a requalification order, or a "
        "retraining-required revision for those qualified on the old baseline"
    ),
    "quality.capa.closed": "A CAPA was closed (signed)",
    "quality.change_control.closed": "A change control was closed (signed)",
    "quality.deviation.created": "A deviation was reported or opened by the batch gate",
}
# A fan-out of thousands is sent as several events of at most this many items.
BATCH = 500


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def subscribers(event: str) -> list[WebhookSubscription]:
    return [s for s in WebhookSubscription.objects.filter(active=True) if event in s.events]


def emit(event: str, data: dict[str, Any], *, to: list[WebhookSubscription] | None = None) -> None:
    """One event to `to`; by default to the subscriptions without a client only, so
    an event nobody scoped can never leak to a client's subscription (U2)."""
    subscriptions = [s for s in subscribers(event) if s.client_id is None] if to is None else to
    if not subscriptions:
        return
    event_id = uuid.uuid4().hex
    now = timezone.now()
    payload = {"id": event_id, "event": event, "occurred_at": _iso(now), "data": data}
    ids = []
    for subscription in subscriptions:
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event=event,
            event_id=event_id,
            payload=payload,
            created_at=now,
        )
        ids.append(delivery.pk)
    from qualify.api.webhooks.deliver import deliver_webhook

    for delivery_id in ids:
        transaction.on_commit(partial(deliver_webhook.enqueue, delivery_id), robust=True)


def emit_scoped(
    event: str,
    build: Callable[[int | None], dict[str, Any] | None],
    *,
    to: list[WebhookSubscription] | None = None,
) -> None:
    """U2: each client's subscriptions get `build(client_id)`, the event as that client
    may see it (None: nothing of it concerns the client, nothing is sent); those
    without a client get `build(None)`, the whole event."""
    groups: dict[int | None, list[WebhookSubscription]] = {}
    for subscription in subscribers(event) if to is None else to:
        groups.setdefault(subscription.client_id, []).append(subscription)
    for client_id, group in groups.items():
        data = build(client_id)
        if data is not None:
            emit(event, data, to=group)


def _only(client_id: int | None, concerned: set[int]) -> bool:
    """Whether an event concerning `concerned` clients may go to this subscription."""
    return client_id is None or client_id in concerned


def _people_clients(person_ids) -> dict[int, set[int]]:
    """The clients each person holds or held a job function of: the people a
    client-restricted user may see (org.queries.people); anyone else is in-house."""
    from qualify.org.models import JobAssignment

    out: dict[int, set[int]] = {}
    rows = JobAssignment.objects.filter(
        person_id__in=sorted(set(person_ids)), job_function__client__isnull=False
    ).values_list("person_id", "job_function__client_id")
    for person_id, client_id in rows:
        out.setdefault(person_id, set()).add(client_id)
    return out


def _assignment(a) -> dict:
    return {
        "person": a.person.employee_number,
        "job_function": a.job_function.code,
        "valid_from": _iso(a.valid_from),
        "valid_to": _iso(a.valid_to),
    }


def _job_assignment_event(event: str, assignment) -> None:
    concerned = {assignment.job_function.client_id} - {None}
    data = _assignment(assignment)
    emit_scoped(event, lambda client: data if _only(client, concerned) else None)


def on_job_assignment_started(*, assignment, **_: Any) -> None:
    _job_assignment_event("person.job_assignment.started", assignment)


def on_job_assignment_ended(*, assignment, **_: Any) -> None:
    _job_assignment_event("person.job_assignment.ended", assignment)


def on_person_deactivated(*, person, reason: str = "", **_: Any) -> None:
    to = subscribers("person.deactivated")
    if not to:
        return
    concerned = _people_clients([person.pk]).get(person.pk, set())
    data = {"person": person.employee_number, "deactivated_at": _iso(person.deactivated_at)}
    emit_scoped("person.deactivated", lambda c: data if _only(c, concerned) else None, to=to)


def on_version_approved(*, version, **_: Any) -> None:
    document = version.document
    data = {
        "document": document.number,
        "revision": version.revision,
        "version": version.pk,
        "effective_from": _iso(version.effective_from),
        "retraining_required": version.retraining_required,
    }
    concerned = {document.client_id} - {None}
    emit_scoped("document.version.approved", lambda c: data if _only(c, concerned) else None)


def on_document_obsoleted(*, document, **_: Any) -> None:
    data = {"document": document.number, "obsolete_from": _iso(document.obsolete_from)}
    concerned = {document.client_id} - {None}
    emit_scoped("document.obsoleted", lambda c: data if _only(c, concerned) else None)


def on_assignment_completed(*, assignment, record, **_: Any) -> None:
    data = {
        "record": record.pk,
        "assignment": assignment.pk,
        "person": assignment.person.employee_number,
        "requirement": assignment.requirement.code,
        "completed_at": _iso(record.completed_at),
    }
    # A record is the requirement's client's, as in the records API.
    concerned = {assignment.requirement.client_id} - {None}
    emit_scoped("training.record.signed", lambda c: data if _only(c, concerned) else None)


def _codes(person_ids, requirement_ids) -> tuple[dict[int, str], dict[int, tuple[str, int]]]:
    """Employee numbers, and requirement codes with their client, of a fan-out: two
    queries, whatever its size."""
    from qualify.org.models import Person
    from qualify.training.models import Requirement

    numbers = dict(
        Person.objects.filter(pk__in=sorted(set(person_ids))).values_list("pk", "employee_number")
    )
    codes = {
        pk: (code, client_id)
        for pk, code, client_id in Requirement.objects.filter(
            pk__in=sorted(set(requirement_ids))
        ).values_list("pk", "code", "client_id")
    }
    return numbers, codes


def _batches(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _fan_out(event: str, key: str, rows: list[tuple[int | None, dict]], to) -> None:
    """Rows tagged with their requirement's client: a client's subscription gets its
    own rows only, in batches of at most BATCH."""
    groups: dict[int | None, list[WebhookSubscription]] = {}
    for subscription in to:
        groups.setdefault(subscription.client_id, []).append(subscription)
    for client_id, group in groups.items():
        mine = [row for owner, row in rows if client_id is None or owner == client_id]
        for part in _batches(mine):
            emit(event, {"count": len(part), key: part}, to=group)


def on_assignment_created(*, assignments, **_: Any) -> None:
    to = subscribers("training.assignment.created")
    if not to:
        return  # a fan-out nobody listens to costs one query
    numbers, codes = _codes(
        (a.person_id for a in assignments), (a.requirement_id for a in assignments)
    )
    rows = [
        (
            codes[a.requirement_id][1],
            {
                "assignment": a.pk,
                "person": numbers[a.person_id],
                "requirement": codes[a.requirement_id][0],
                "reason": a.reason,
                "source": a.source,
                "document_version": a.document_version_id,
                "due_at": _iso(a.due_at),
            },
        )
        for a in assignments
    ]
    _fan_out("training.assignment.created", "assignments", rows, to)


def on_qualification_lost(*, losses, **_: Any) -> None:
    to = subscribers("training.qualification.lost")
    if not to:
        return
    numbers, codes = _codes((x.person_id for x in losses), (x.requirement_id for x in losses))
    rows = [
        (
            codes[x.requirement_id][1],
            {
                "person": numbers[x.person_id],
                "requirement": codes[x.requirement_id][0],
                "lost_at": _iso(x.lost_at),
                "cause": x.cause,
                "source": x.source,
                "assignment": x.assignment_id,
            },
        )
        for x in losses
    ]
    _fan_out("training.qualification.lost", "losses", rows, to)


def _quality_client(obj) -> set[int]:
    # Quality records carry the client they concern (None: in-house work).
    client_id = getattr(obj, "client_id", None)
    return set() if client_id is None else {client_id}


def on_capa_closed(*, capa, **_: Any) -> None:
    data = {"capa": capa.number, "closed_at": _iso(capa.closed_at), "source": capa.source}
    concerned = _quality_client(capa)
    emit_scoped("quality.capa.closed", lambda c: data if _only(c, concerned) else None)


def on_change_control_closed(*, change_control, **_: Any) -> None:
    data = {
        "change_control": change_control.number,
        "closed_at": _iso(change_control.closed_at),
    }
    concerned = _quality_client(change_control)
    emit_scoped("quality.change_control.closed", lambda c: data if _only(c, concerned) else None)


def on_deviation_created(*, deviation, **_: Any) -> None:
    to = subscribers("quality.deviation.created")
    if not to:
        return
    people = list(deviation.people.values_list("pk", "employee_number"))
    documents = list(deviation.documents.values_list("number", "client_id"))
    missing = list(
        deviation.snapshot.filter(qualified_known_now=False).values_list(
            "person_id", "person__employee_number", "document__number", "document__client_id"
        )
    )
    people_clients = _people_clients([pk for pk, _ in people] + [row[0] for row in missing])
    concerned = _quality_client(deviation)
    if not hasattr(deviation, "client_id"):
        # Before quality records named their client, a deviation concerned the
        # clients of its documents.
        concerned = {client for _, client in documents} - {None}

    def build(client: int | None) -> dict[str, Any] | None:
        if not _only(client, concerned):
            return None

        def person_ok(pk: int) -> bool:
            return client is None or client in people_clients.get(pk, set())

        def document_ok(owner: int | None) -> bool:
            return client is None or owner == client

        return {
            "deviation": deviation.number,
            "site": deviation.site.code,
            "occurred_at": _iso(deviation.occurred_at),
            "recorded_at": _iso(deviation.recorded_at),
            "batch": deviation.batch,
            "automatic": deviation.automatic,
            "execution": deviation.execution_id,
            "people": sorted(number for pk, number in people if person_ok(pk)),
            "documents": sorted(number for number, owner in documents if document_ok(owner)),
            "not_qualified": [
                {"person": number, "document": document}
                for pk, number, document, owner in missing
                if person_ok(pk) and document_ok(owner)
            ],
        }

    emit_scoped("quality.deviation.created", build, to=to)


def connect_hooks() -> None:
    from qualify.documents import events as documents
    from qualify.org import events as org
    from qualify.quality import events as quality
    from qualify.training import events as training

    org.job_assignment_started.connect(on_job_assignment_started)
    org.job_assignment_ended.connect(on_job_assignment_ended)
    org.person_deactivated.connect(on_person_deactivated)
    documents.version_approved.connect(on_version_approved)
    documents.document_obsoleted.connect(on_document_obsoleted)
    training.assignment_completed.connect(on_assignment_completed)
    training.assignment_created.connect(on_assignment_created)
    training.qualification_lost.connect(on_qualification_lost)
    quality.capa_closed.connect(on_capa_closed)
    quality.change_control_closed.connect(on_change_control_closed)
    quality.deviation_created.connect(on_deviation_created)
