"""P11: webhooks from the hooks, after commit, HMAC-signed, retried, logged."""

import hashlib
import hmac
import json

import pytest

from qualify.api.models import WebhookDelivery
from qualify.api.webhooks import deliver
from tests.api.conftest import bearer

pytestmark = pytest.mark.requirement("P11")


@pytest.fixture
def hooks_client(make_token):
    return bearer(make_token("webhooks-manage", "people-write", name="bus")[1])


@pytest.fixture
def sent(monkeypatch):
    calls = []
    codes = []

    def fake_send(url, body, headers):
        calls.append((url, body, headers))
        return codes.pop(0) if codes else 200

    monkeypatch.setattr(deliver, "send", fake_send)
    return calls, codes


def subscribe(client, events):
    r = client.post(
        "/api/v1/webhooks/subscriptions/",
        {"name": "bus", "url": "https://hooks.example/q", "events": events},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()


PERSON = {
    "employee_number": "W1",
    "full_name": "Wren",
    "site": "DUB",
    "job_assignments": [{"job_function": "OP", "valid_from": "2024-01-01T00:00:00Z"}],
}


def test_event_is_sent_after_commit_and_signed(
    hooks_client, plant, sent, django_capture_on_commit_callbacks
):
    calls, _ = sent
    secret = subscribe(hooks_client, ["person.job_assignment.started"])["secret"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hooks_client.post("/api/v1/people/", PERSON, format="json")
    assert calls == []  # nothing sent before the commit
    for callback in callbacks:
        callback()
    ((_url, body, headers),) = calls
    payload = json.loads(body)
    assert payload["event"] == "person.job_assignment.started"
    assert payload["data"]["person"] == "W1"
    expected = hmac.new(
        secret.encode(), headers["X-Qualify-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Qualify-Signature"] == f"sha256={expected}"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert delivery.attempts == 1
    log = hooks_client.get("/api/v1/webhooks/deliveries/").json()["results"]
    assert log[0]["status"] == "delivered"


def test_failures_are_retried_then_given_up(
    hooks_client, plant, sent, django_capture_on_commit_callbacks
):
    calls, codes = sent
    codes.extend([500] * deliver.MAX_ATTEMPTS)
    subscribe(hooks_client, ["person.job_assignment.started"])
    with django_capture_on_commit_callbacks(execute=True):
        hooks_client.post("/api/v1/people/", PERSON, format="json")
    delivery = WebhookDelivery.objects.get()
    assert len(calls) == deliver.MAX_ATTEMPTS
    assert delivery.status == "failed"
    assert delivery.last_status_code == 500


def test_retry_succeeds(hooks_client, plant, sent, django_capture_on_commit_callbacks):
    _calls, codes = sent
    codes.extend([503, 200])
    subscribe(hooks_client, ["person.job_assignment.started"])
    with django_capture_on_commit_callbacks(execute=True):
        hooks_client.post("/api/v1/people/", PERSON, format="json")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert delivery.attempts == 2


def test_unsubscribed_events_write_nothing(hooks_client, plant, sent):
    sub = subscribe(hooks_client, ["document.obsoleted"])
    hooks_client.post("/api/v1/people/", PERSON, format="json")
    assert WebhookDelivery.objects.count() == 0
    r = hooks_client.post(
        f"/api/v1/webhooks/subscriptions/{sub['id']}/deactivate/", {"reason": "done"}, format="json"
    )
    assert r.json()["active"] is False


def test_record_signed_event(hooks_client, plant, sent, django_capture_on_commit_callbacks):
    calls, _ = sent
    subscribe(hooks_client, ["training.record.signed"])
    document = plant.document("SOP-030")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("RQ-030", document=document)
    plant.matrix(requirement)
    (person,) = plant.operator_crew(1)
    with django_capture_on_commit_callbacks(execute=True):
        plant.complete(person, requirement)
    assert json.loads(calls[0][1])["data"]["requirement"] == "RQ-030"
