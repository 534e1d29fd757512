"""P11: webhooks from the hooks, after commit, HMAC-signed, retried, logged."""

import datetime as dt
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


def payloads(sent, event):
    calls, _ = sent
    return [json.loads(body) for _, body, headers in calls if headers["X-Qualify-Event"] == event]


@pytest.mark.requirement("G3", "Q4")
def test_assignment_created_and_qualification_lost_one_event_per_fan_out(
    hooks_client, plant, sent, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    subscribe(hooks_client, ["training.assignment.created", "training.qualification.lost"])
    document = plant.document("SOP-031")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("RQ-031", document=document)
    crew = plant.operator_crew(3)
    with django_capture_on_commit_callbacks(execute=True):
        plant.matrix(requirement)
    [created] = payloads(sent, "training.assignment.created")
    assert created["data"]["count"] == 3
    assert {a["person"] for a in created["data"]["assignments"]} == {
        p.employee_number for p in crew
    }
    assert {a["requirement"] for a in created["data"]["assignments"]} == {"RQ-031"}

    plant.complete(crew[0], requirement)
    effective = timezone.now() + dt.timedelta(days=40)
    with django_capture_on_commit_callbacks(execute=True):
        plant.approve(plant.revise(document, "2"), effective_from=effective)
    [_, revised] = payloads(sent, "training.assignment.created")
    assert revised["data"]["count"] == 3
    [lost] = payloads(sent, "training.qualification.lost")
    assert lost["data"]["losses"] == [
        {
            "person": crew[0].employee_number,
            "requirement": "RQ-031",
            "lost_at": effective.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "cause": "revision",
            "source": lost["data"]["losses"][0]["source"],
            "assignment": lost["data"]["losses"][0]["assignment"],
        }
    ]
    assert lost["data"]["losses"][0]["source"].startswith("documents.documentversion:")


@pytest.mark.requirement("E2")
def test_quality_events_deviation_capa_and_change_control(
    hooks_client, plant, sent, employee, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from qualify.quality import services as quality
    from tests.quality.plant import creds

    subscribe(
        hooks_client,
        ["quality.deviation.created", "quality.capa.closed", "quality.change_control.closed"],
    )
    document = plant.document("SOP-032")
    plant.approve(plant.revise(document, "1"))
    plant.requirement("RQ-032", document=document)
    (operator,) = plant.operator_crew(1)
    with django_capture_on_commit_callbacks(execute=True):
        deviation = quality.deviation_create(
            actor=employee,
            number="DEV-2026-0001",
            site=plant.site,
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            description="Line clearance by one person",
            batch="B-1",
            people=[operator],
            documents=[document],
        )
    [dev] = payloads(sent, "quality.deviation.created")
    assert dev["data"]["deviation"] == "DEV-2026-0001"
    assert dev["data"]["not_qualified"] == [
        {"person": operator.employee_number, "document": "SOP-032"}
    ]

    capa = quality.capa_create(
        actor=plant.qa,
        number="CAPA-2026-001",
        source="deviation",
        deviation=deviation,
        problem_statement="One-person clearance",
        root_cause_category="procedure",
    )
    action = quality.capa_action_add(
        actor=plant.qa,
        capa=capa,
        kind="corrective",
        description="Add a second-person check to SOP-032",
        owner=plant.qa,
        due_at=timezone.now() + dt.timedelta(days=10),
    )
    quality.capa_action_complete(
        actor=plant.qa, action=action, credentials=creds(plant.qa), comment="Checklist in use"
    )
    with django_capture_on_commit_callbacks(execute=True):
        quality.capa_close(actor=plant.qa, capa=capa, credentials=creds(plant.qa))
    [closed] = payloads(sent, "quality.capa.closed")
    assert closed["data"]["capa"] == "CAPA-2026-001"

    cc = quality.change_control_create(
        actor=plant.doc_controller,
        number="CC-2026-001",
        title="Second-person check",
        description="Add a step",
        reason="DEV-2026-0001",
        risk="low",
        planned_effective_date=timezone.now().date(),
        affected_documents=[document],
    )
    quality.change_control_approve(actor=plant.qa, change_control=cc, credentials=creds(plant.qa))
    with django_capture_on_commit_callbacks(execute=True):
        quality.change_control_close(actor=plant.qa, change_control=cc, credentials=creds(plant.qa))
    [cc_closed] = payloads(sent, "quality.change_control.closed")
    assert cc_closed["data"]["change_control"] == "CC-2026-001"
