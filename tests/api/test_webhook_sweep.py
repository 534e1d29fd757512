"""P11, P22: a webhook delivery left behind when the database or a worker went away is
queued again by the sweep; one that a live task still sends, or whose retry is still
waiting, is left alone; two tasks never send the same delivery at the same time."""

import datetime as dt

import pytest
from django.utils import timezone

from qualify.api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from qualify.api.webhooks import deliver, sweep

pytestmark = pytest.mark.requirement("P11", "P22")


@pytest.fixture
def sent(monkeypatch):
    calls = []

    def fake_send(url, body, headers):
        calls.append(headers["X-Qualify-Delivery"])
        return 200

    monkeypatch.setattr(deliver, "send", fake_send)
    return calls


@pytest.fixture
def make_delivery(db, admin):
    subscription = WebhookSubscription.objects.create(
        name="bus",
        url="https://hooks.example/q",
        secret="s3cret",
        events=["person.created"],
        created_by=admin,
        created_at=timezone.now(),
    )
    counter = iter(range(1, 100))

    def make(*, age: dt.timedelta, **fields) -> WebhookDelivery:
        return WebhookDelivery.objects.create(
            subscription=subscription,
            event="person.created",
            event_id=f"ev{next(counter)}",
            payload={"n": 1},
            created_at=timezone.now() - age,
            **fields,
        )

    return make


def test_a_delivery_claimed_by_a_worker_that_died_is_sent_again(make_delivery, sent):
    now = timezone.now()
    dead = make_delivery(age=dt.timedelta(hours=1), claimed_at=now - dt.timedelta(minutes=30))
    assert sweep.requeue_stale() == 1
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.DELIVERED
    assert dead.claimed_at is None
    assert sent == [dead.event_id]


def test_a_delivery_whose_task_was_lost_is_queued_again(make_delivery, sent):
    lost = make_delivery(age=dt.timedelta(hours=1))
    assert [d.pk for d in sweep.stale()] == [lost.pk]
    sweep.requeue_stale()
    lost.refresh_from_db()
    assert lost.status == DeliveryStatus.DELIVERED
    assert sent == [lost.event_id]


def test_fresh_in_flight_and_waiting_deliveries_are_left_alone(make_delivery, sent):
    now = timezone.now()
    fresh = make_delivery(age=dt.timedelta(seconds=5))
    in_flight = make_delivery(age=dt.timedelta(hours=1), claimed_at=now - dt.timedelta(seconds=5))
    # Five attempts failed, the last 30 minutes ago: its retry waits about 2 hours.
    waiting = make_delivery(
        age=dt.timedelta(hours=2), attempts=5, last_attempt_at=now - dt.timedelta(minutes=30)
    )
    done = make_delivery(age=dt.timedelta(hours=1), status=DeliveryStatus.DELIVERED)
    assert sweep.requeue_stale() == 0
    assert sent == []
    for delivery in (fresh, in_flight, waiting, done):
        before = delivery.status
        delivery.refresh_from_db()
        assert delivery.status == before
        assert delivery.attempts in (0, 5)


def test_a_delivery_with_a_task_waiting_in_the_database_queue_is_not_queued_twice(
    make_delivery, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    lost = make_delivery(age=dt.timedelta(hours=1))
    other = make_delivery(age=dt.timedelta(hours=1))
    deliver.deliver_webhook.enqueue(lost.pk)  # queued, not yet run by a worker
    assert [d.pk for d in sweep.stale()] == [other.pk]


def test_a_second_task_finds_the_delivery_claimed_and_sends_nothing(make_delivery, monkeypatch):
    delivery = make_delivery(age=dt.timedelta(minutes=1))
    calls = []
    monkeypatch.setattr(deliver, "send", lambda url, body, headers: calls.append(url) or 200)
    # The first task is sending (its claim is fresh) when a second one for the same
    # delivery starts: the second sends nothing.
    assert deliver.claim(delivery.pk, timezone.now())
    assert deliver.deliver_webhook.call(delivery.pk) == DeliveryStatus.PENDING
    assert calls == []
    # A claim older than the timeout is a dead worker's: it is taken over.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - deliver.CLAIM_TIMEOUT - dt.timedelta(seconds=1)
    )
    assert deliver.deliver_webhook.call(delivery.pk) == DeliveryStatus.DELIVERED
    assert len(calls) == 1
    # Once delivered, a late duplicate task sends nothing more.
    assert deliver.deliver_webhook.call(delivery.pk) == DeliveryStatus.DELIVERED
    assert len(calls) == 1
