"""Events sent to webhook subscribers.

The hooks of the lower layers run inside the transaction of the change; the handler
here writes one delivery row per matching subscription in that transaction (an
outbox: no event is lost, none is sent for a change that rolls back) and queues the
sending after commit (transaction.on_commit), so no network call happens while a
row lock is held.
"""

import datetime as dt
import uuid
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
    subscriptions = subscribers(event) if to is None else to
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


def _assignment(a) -> dict:
    return {
        "person": a.person.employee_number,
        "job_function": a.job_function.code,
        "valid_from": _iso(a.valid_from),
        "valid_to": _iso(a.valid_to),
    }


def on_job_assignment_started(*, assignment, **_: Any) -> None:
    emit("person.job_assignment.started", _assignment(assignment))


def on_job_assignment_ended(*, assignment, **_: Any) -> None:
    emit("person.job_assignment.ended", _assignment(assignment))


def on_person_deactivated(*, person, reason: str = "", **_: Any) -> None:
    emit(
        "person.deactivated",
        {"person": person.employee_number, "deactivated_at": _iso(person.deactivated_at)},
    )


def on_version_approved(*, version, **_: Any) -> None:
    emit(
        "document.version.approved",
        {
            "document": version.document.number,
            "revision": version.revision,
            "version": version.pk,
            "effective_from": _iso(version.effective_from),
            "retraining_required": version.retraining_required,
        },
    )


def on_document_obsoleted(*, document, **_: Any) -> None:
    emit(
        "document.obsoleted",
        {"document": document.number, "obsolete_from": _iso(document.obsolete_from)},
    )


def on_assignment_completed(*, assignment, record, **_: Any) -> None:
    emit(
        "training.record.signed",
        {
            "record": record.pk,
            "assignment": assignment.pk,
            "person": assignment.person.employee_number,
            "requirement": assignment.requirement.code,
            "completed_at": _iso(record.completed_at),
        },
    )


def _codes(person_ids, requirement_ids) -> tuple[dict[int, str], dict[int, str]]:
    """Employee numbers and requirement codes of a fan-out: two queries, whatever its size."""
    from qualify.org.models import Person
    from qualify.training.models import Requirement

    numbers = dict(
        Person.objects.filter(pk__in=sorted(set(person_ids))).values_list("pk", "employee_number")
    )
    codes = dict(
        Requirement.objects.filter(pk__in=sorted(set(requirement_ids))).values_list("pk", "code")
    )
    return numbers, codes


def _batches(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def on_assignment_created(*, assignments, **_: Any) -> None:
    to = subscribers("training.assignment.created")
    if not to:
        return  # a fan-out nobody listens to costs one query
    numbers, codes = _codes(
        (a.person_id for a in assignments), (a.requirement_id for a in assignments)
    )
    rows = [
        {
            "assignment": a.pk,
            "person": numbers[a.person_id],
            "requirement": codes[a.requirement_id],
            "reason": a.reason,
            "source": a.source,
            "document_version": a.document_version_id,
            "due_at": _iso(a.due_at),
        }
        for a in assignments
    ]
    for part in _batches(rows):
        emit("training.assignment.created", {"count": len(part), "assignments": part}, to=to)


def on_qualification_lost(*, losses, **_: Any) -> None:
    to = subscribers("training.qualification.lost")
    if not to:
        return
    numbers, codes = _codes((x.person_id for x in losses), (x.requirement_id for x in losses))
    rows = [
        {
            "person": numbers[x.person_id],
            "requirement": codes[x.requirement_id],
            "lost_at": _iso(x.lost_at),
            "cause": x.cause,
            "source": x.source,
            "assignment": x.assignment_id,
        }
        for x in losses
    ]
    for part in _batches(rows):
        emit("training.qualification.lost", {"count": len(part), "losses": part}, to=to)


def on_capa_closed(*, capa, **_: Any) -> None:
    emit(
        "quality.capa.closed",
        {"capa": capa.number, "closed_at": _iso(capa.closed_at), "source": capa.source},
    )


def on_change_control_closed(*, change_control, **_: Any) -> None:
    emit(
        "quality.change_control.closed",
        {"change_control": change_control.number, "closed_at": _iso(change_control.closed_at)},
    )


def on_deviation_created(*, deviation, **_: Any) -> None:
    to = subscribers("quality.deviation.created")
    if not to:
        return
    emit(
        "quality.deviation.created",
        {
            "deviation": deviation.number,
            "site": deviation.site.code,
            "occurred_at": _iso(deviation.occurred_at),
            "recorded_at": _iso(deviation.recorded_at),
            "batch": deviation.batch,
            "automatic": deviation.automatic,
            "execution": deviation.execution_id,
            "people": sorted(deviation.people.values_list("employee_number", flat=True)),
            "documents": sorted(deviation.documents.values_list("number", flat=True)),
            "not_qualified": [
                {"person": number, "document": document}
                for number, document in deviation.snapshot.filter(
                    qualified_known_now=False
                ).values_list("person__employee_number", "document__number")
            ],
        },
        to=to,
    )


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
