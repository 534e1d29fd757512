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
}


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def emit(event: str, data: dict[str, Any]) -> None:
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(active=True) if event in s.events
    ]
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


def connect_hooks() -> None:
    from qualify.documents import events as documents
    from qualify.org import events as org
    from qualify.training import events as training

    org.job_assignment_started.connect(on_job_assignment_started)
    org.job_assignment_ended.connect(on_job_assignment_ended)
    org.person_deactivated.connect(on_person_deactivated)
    documents.version_approved.connect(on_version_approved)
    documents.document_obsoleted.connect(on_document_obsoleted)
    training.assignment_completed.connect(on_assignment_completed)
