"""Sending a webhook: POST the JSON payload, signed with HMAC-SHA256, retried with
exponential backoff through the task framework; every attempt lands in the log row.

Headers: `X-Qualify-Event`, `X-Qualify-Delivery` (event id), `X-Qualify-Timestamp`
(Unix seconds) and `X-Qualify-Signature: sha256=<hex HMAC of "<timestamp>.<body>">`
keyed with the subscription's secret. A receiver recomputes it and rejects old
timestamps (replay).

The same request is also signed in the Standard Webhooks format (issue 16), so a
receiver can use a stock verifier: `webhook-id`, `webhook-timestamp` and
`webhook-signature: v1,<base64 HMAC>`, made by the `standardwebhooks` library with the
subscription's secret as key; its Standard Webhooks form is
`standard_secret(secret)` ("whsec_" + base64 of the secret).
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import time

from django.db.models import Q
from django.utils import timezone
from django_tasks import default_task_backend, task
from standardwebhooks import Webhook

from qualify.api.models import DeliveryStatus, WebhookDelivery
from qualify.api.webhooks import network

MAX_ATTEMPTS = 6
FIRST_DELAY = dt.timedelta(seconds=30)  # then x4: 30 s, 2 min, 8 min, 32 min, ~2 h
TIMEOUT_SECONDS = network.TOTAL_TIMEOUT_SECONDS
# A send takes at most TIMEOUT_SECONDS; a claim this old was left by a worker that died
# (or lost its database) mid-send, and may be taken over.
CLAIM_TIMEOUT = dt.timedelta(minutes=10)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def standard_secret(secret: str) -> str:
    """The subscription's secret as Standard Webhooks verifiers take it."""
    return "whsec_" + base64.b64encode(secret.encode("utf-8")).decode("ascii")


def standard_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    when = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    return Webhook(secret.encode("utf-8")).sign(msg_id, when, body.decode("utf-8"))


def send(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the status code, only to a public address (P20: checked at
    send time, redirects not followed, time and answer size bounded). Tests of the
    sending logic replace this; the network tests use a local listener."""
    return network.post(url, body, headers)


def claim(delivery_id: int, now: dt.datetime) -> bool:
    """Mark the delivery as being sent, unless it is done or another task sends it
    now (a claim younger than CLAIM_TIMEOUT): one conditional UPDATE, so two tasks
    never send the same delivery at once."""
    fresh = Q(claimed_at__isnull=False, claimed_at__gte=now - CLAIM_TIMEOUT)
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .exclude(fresh)
        .update(claimed_at=now)
    )


@task()
def deliver_webhook(delivery_id: int) -> str:
    if not claim(delivery_id, timezone.now()):
        return WebhookDelivery.objects.only("status").get(pk=delivery_id).status
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Qualify-Webhooks/1",
        "X-Qualify-Event": delivery.event,
        "X-Qualify-Delivery": delivery.event_id,
        "X-Qualify-Timestamp": timestamp,
        "X-Qualify-Signature": signature(subscription.secret, timestamp, body),
        "webhook-id": delivery.event_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": standard_signature(
            subscription.secret, delivery.event_id, timestamp, body
        ),
    }
    code, error, refused = None, "", False
    try:
        code = send(subscription.url, body, headers)
    except network.AddressRefused as exc:
        # A refused destination is not a transient failure: no retries.
        error, refused = f"Refused: {exc}"[:1000], True
    except Exception as exc:  # any transport failure is an attempt that failed
        error = f"{type(exc).__name__}: {exc}"[:1000]
    now = timezone.now()
    attempts = delivery.attempts + 1
    ok = code is not None and 200 <= code < 300
    if ok:
        status = DeliveryStatus.DELIVERED
    elif refused or attempts >= MAX_ATTEMPTS:
        status = DeliveryStatus.FAILED
    else:
        status = DeliveryStatus.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts,
        last_status_code=code,
        last_error=error or ("" if ok else f"HTTP {code}"),
        last_attempt_at=now,
        delivered_at=now if ok else None,
        status=status,
        claimed_at=None,
    )
    if status == DeliveryStatus.PENDING:
        retry(delivery.pk, attempts)
    return status


def retry(delivery_id: int, attempts: int) -> None:
    delay = FIRST_DELAY * (4 ** (attempts - 1))
    if default_task_backend.supports_defer:
        deliver_webhook.using(run_after=timezone.now() + delay).enqueue(delivery_id)
    else:
        # A backend that cannot defer (the immediate one, in tests) retries at once.
        deliver_webhook.enqueue(delivery_id)
