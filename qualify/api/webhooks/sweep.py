"""Deliveries left behind are queued again (P11, P22: background tasks retry after the
database went away).

A delivery stays pending with nothing left to send it when the worker that claimed
it died mid-send (its claim is older than deliver.CLAIM_TIMEOUT), or when its task was
never queued or was lost (the database went away between the change's commit and the
enqueue, or under the task itself). `requeue_stale` finds both and queues a task for
each; the claim in `deliver_webhook` keeps two tasks from ever sending one delivery at
the same time, so a sweep that runs beside a live worker sends nothing twice at once.

Run by `qualify worker` every SWEEP_INTERVAL and by `qualify scheduler`.
"""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from qualify.api.models import DeliveryStatus, WebhookDelivery
from qualify.api.webhooks.deliver import CLAIM_TIMEOUT, FIRST_DELAY, deliver_webhook

SWEEP_INTERVAL = dt.timedelta(minutes=1)


def _due(delivery: WebhookDelivery) -> dt.datetime:
    """When the delivery's next attempt should have started at the latest."""
    if delivery.last_attempt_at is None:
        return delivery.created_at + CLAIM_TIMEOUT
    backoff = FIRST_DELAY * (4 ** max(delivery.attempts - 1, 0))
    return delivery.last_attempt_at + backoff + CLAIM_TIMEOUT


def _queued() -> set[int]:
    """Deliveries with a task waiting in the database queue (none for other backends)."""
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return set()
    if not isinstance(deliver_webhook.get_backend(), DatabaseBackend):
        return set()
    rows = DBTaskResult.objects.filter(
        task_path=deliver_webhook.module_path, status="READY"
    ).values_list("args_kwargs", flat=True)
    return {args["args"][0] for args in rows if args.get("args")}


def stale(now: dt.datetime | None = None) -> list[WebhookDelivery]:
    """Pending deliveries nothing will send: claimed by a task that did not finish,
    or unclaimed well past their next attempt with no task queued for them."""
    now = now or timezone.now()
    cutoff = now - CLAIM_TIMEOUT
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
    abandoned = list(pending.filter(claimed_at__lt=cutoff))
    queued = _queued()
    lost = [
        d
        for d in pending.filter(claimed_at__isnull=True).filter(
            Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, created_at__lt=cutoff)
        )
        if _due(d) < now and d.pk not in queued
    ]
    return sorted(abandoned + lost, key=lambda d: d.pk)


def requeue_stale(now: dt.datetime | None = None) -> int:
    """Queue a task for every stale delivery; the number queued."""
    found = stale(now)
    for delivery in found:
        deliver_webhook.enqueue(delivery.pk)
    return len(found)
