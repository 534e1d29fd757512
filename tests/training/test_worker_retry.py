"""P22: background tasks retry after the database goes away. `qualify worker` does not
exit on a lost connection: it closes the connections and runs its queue loop again
after a growing pause; what a dead worker left unfinished is queued again by the sweep.
"""

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from qualify.api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from qualify.api.webhooks import deliver
from qualify.training.management.commands import worker

pytestmark = pytest.mark.requirement("P22")


@pytest.fixture
def pauses(monkeypatch):
    waited = []
    monkeypatch.setattr(worker, "sleep", waited.append)
    return waited


@pytest.fixture
def queue_loop(monkeypatch):
    """The django-tasks queue loop (db_worker), failing as told before it succeeds."""
    runs = []
    failures = []

    def fake_call_command(name, **options):
        runs.append(name)
        if failures:
            raise failures.pop(0)

    monkeypatch.setattr(worker, "call_command", fake_call_command)
    return runs, failures


def test_the_worker_retries_its_queue_after_the_database_went_away(
    db, queue_loop, pauses, monkeypatch
):
    runs, failures = queue_loop
    failures += [
        OperationalError("server closed the connection unexpectedly"),
        OperationalError("connection refused"),
        OperationalError("the database system is starting up"),
    ]
    closed = []
    monkeypatch.setattr(worker.connections, "close_all", lambda: closed.append(True))
    err = StringIO()
    call_command("worker", "--batch", "--checkpoint-interval", "0", stderr=err)
    # Three failed runs of the loop, then the one that worked: the command did not exit.
    assert runs == ["db_worker"] * 4
    assert pauses == [1, 2, 4]  # growing pauses between the attempts
    assert len(closed) == 3  # the broken connections closed before each new attempt
    assert "the database is unreachable (connection refused); trying again in 2 s" in (
        err.getvalue()
    )


def test_the_pause_between_attempts_is_at_most_a_minute(db, queue_loop, pauses, monkeypatch):
    runs, failures = queue_loop
    monkeypatch.setattr(worker, "BATCH_RETRIES", 10)
    failures += [OperationalError("down")] * 9
    call_command("worker", "--batch", "--checkpoint-interval", "0", stderr=StringIO())
    assert len(runs) == 10
    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_batch_worker_gives_up_with_a_clear_error_when_the_database_stays_away(
    db, queue_loop, pauses
):
    runs, failures = queue_loop
    failures += [OperationalError("connection refused")] * 20
    with pytest.raises(CommandError, match="still unreachable after 5 retries"):
        call_command("worker", "--batch", "--checkpoint-interval", "0", stderr=StringIO())
    assert len(runs) == 6


def test_an_error_that_is_not_a_lost_connection_is_not_retried(db, queue_loop, pauses):
    runs, failures = queue_loop
    failures.append(ValueError("a bug"))
    with pytest.raises(ValueError, match="a bug"):
        call_command("worker", "--batch", "--checkpoint-interval", "0", stderr=StringIO())
    assert runs == ["db_worker"]
    assert pauses == []


@pytest.mark.requirement("P11")
def test_a_batch_worker_first_queues_again_the_deliveries_a_dead_worker_left(
    db, admin, queue_loop, monkeypatch
):
    subscription = WebhookSubscription.objects.create(
        name="bus",
        url="https://hooks.example/q",
        secret="s",
        events=["person.created"],
        created_by=admin,
        created_at=timezone.now(),
    )
    stale = WebhookDelivery.objects.create(
        subscription=subscription,
        event="person.created",
        event_id="ev1",
        payload={},
        created_at=timezone.now() - dt.timedelta(hours=1),
        claimed_at=timezone.now() - dt.timedelta(hours=1),
    )
    monkeypatch.setattr(deliver, "send", lambda url, body, headers: 200)
    out = StringIO()
    call_command("worker", "--batch", "--checkpoint-interval", "0", stdout=out)
    stale.refresh_from_db()
    assert stale.status == DeliveryStatus.DELIVERED
    assert "sweep: 1 unfinished task(s) queued again" in out.getvalue()


def test_a_background_loop_starts_again_after_a_database_error(monkeypatch):
    stop = threading.Event()
    runs, pauses = [], []
    monkeypatch.setattr(worker.connections, "close_all", lambda: None)

    def work():
        runs.append(1)
        if len(runs) < 3:
            raise OperationalError("gone")

    monkeypatch.setattr(stop, "wait", pauses.append)
    worker.resilient(work, stop, "test")
    assert len(runs) == 3  # the loop ran again after each error, and did not die
    assert pauses == [1.0, 2.0]
