"""P11 with client restriction (U2): a client-restricted token subscribes only for its
client, sees only its clients' subscriptions and deliveries, and the payloads sent to
a client's subscription carry nothing of other clients or of in-house people."""

import datetime as dt

import pytest
from django.utils import timezone

from qualify.api.models import WebhookDelivery, WebhookSubscription
from qualify.api.webhooks import emit
from qualify.org import services as org
from qualify.quality import services as quality
from qualify.training.models import Assignment
from tests.api.conftest import bearer

pytestmark = pytest.mark.requirement("P11")

URL = "/api/v1/webhooks/subscriptions/"
EVENTS = [
    "document.version.approved",
    "training.assignment.created",
    "quality.deviation.created",
    "person.job_assignment.started",
]


@pytest.fixture
def world(plant, admin, make_token):
    acme = org.client_create(actor=admin, code="ACME", name="Acme Pharma")
    beta = org.client_create(actor=admin, code="BETA", name="Beta Bio")

    def token(name, *clients):
        row, raw = make_token("webhooks-manage", name=name)
        for client in clients:
            org.client_access_grant(actor=admin, user=row.user, client=client, reason="Sponsor")
        return bearer(raw)

    return {
        "acme": acme,
        "beta": beta,
        "hq": token("hq"),
        "acme_bus": token("acmebus", acme),
        "both": token("bothbus", acme, beta),
    }


def subscribe(api, **extra):
    body = {"name": "bus", "url": "https://hooks.example/q", "events": EVENTS, **extra}
    return api.post(URL, body, format="json")


def test_a_restricted_token_subscribes_for_its_own_client_only(world):
    r = subscribe(world["acme_bus"])
    assert r.status_code == 201, r.json()
    assert r.json()["client"] == "ACME"
    refused = subscribe(world["acme_bus"], client="BETA")
    assert refused.status_code == 400
    assert "client" in refused.json()["errors"]
    # Restricted to two clients: it must say which; either of its own is fine.
    assert subscribe(world["both"]).status_code == 400
    assert subscribe(world["both"], client="BETA").json()["client"] == "BETA"
    assert subscribe(world["hq"]).json()["client"] is None
    assert WebhookSubscription.objects.filter(client__isnull=True).count() == 1


def test_subscriptions_and_deliveries_are_listed_for_the_token_s_clients_only(world, plant):
    hq = subscribe(world["hq"]).json()
    mine = subscribe(world["acme_bus"]).json()
    theirs = subscribe(world["both"], client="BETA").json()
    for number, client in (("SOP-A1", world["acme"]), ("SOP-B1", world["beta"]), ("SOP-H1", None)):
        document = plant.document(number)
        if client is not None:
            document.client = client
            document.save(update_fields=["client"])
        plant.approve(plant.revise(document, "1"))

    listed = world["acme_bus"].get(URL).json()["results"]
    assert [s["id"] for s in listed] == [mine["id"]]
    log = world["acme_bus"].get("/api/v1/webhooks/deliveries/").json()["results"]
    assert {d["subscription"] for d in log} == {mine["id"]}
    assert [d["payload"]["data"]["document"] for d in log] == ["SOP-A1"]
    # Asking for another subscription's log by filter finds nothing either.
    other = world["acme_bus"].get(f"/api/v1/webhooks/deliveries/?subscription={theirs['id']}")
    assert other.json()["results"] == []

    everything = world["hq"].get(URL).json()["results"]
    assert {s["id"] for s in everything} == {hq["id"], mine["id"], theirs["id"]}
    hq_log = world["hq"].get(f"/api/v1/webhooks/deliveries/?subscription={hq['id']}").json()
    assert sorted(d["payload"]["data"]["document"] for d in hq_log["results"]) == [
        "SOP-A1",
        "SOP-B1",
        "SOP-H1",
    ]
    beta_log = WebhookDelivery.objects.filter(subscription_id=theirs["id"])
    assert [d.payload["data"]["document"] for d in beta_log] == ["SOP-B1"]


def test_a_restricted_token_cannot_deactivate_another_client_s_subscription(world):
    hq = subscribe(world["hq"]).json()
    theirs = subscribe(world["both"], client="BETA").json()
    for target in (hq, theirs):
        r = world["acme_bus"].post(f"{URL}{target['id']}/deactivate/", {"reason": "x"})
        assert r.status_code == 404
        assert WebhookSubscription.objects.get(pk=target["id"]).active
    mine = subscribe(world["acme_bus"]).json()
    r = world["acme_bus"].post(f"{URL}{mine['id']}/deactivate/", {"reason": "Moved"})
    assert r.status_code == 200
    assert r.json()["active"] is False


def payloads(subscription_id, event):
    return [
        d.payload["data"]
        for d in WebhookDelivery.objects.filter(subscription_id=subscription_id, event=event)
    ]


def test_payloads_carry_nothing_of_other_clients_or_in_house_people(world, plant, employee):
    acme = world["acme"]
    hq = subscribe(world["hq"]).json()["id"]
    mine = subscribe(world["acme_bus"]).json()["id"]
    acme_line = org.job_function_create(
        actor=plant.coordinator, code="ACME-OP", name="Acme line", site=plant.site, client=acme
    )
    acme_person = plant.person("Ada Acme", job_function=acme_line)
    in_house = plant.person("Ian Inhouse", job_function=plant.operators)

    # A job assignment is the job function's client's: the in-house one is not sent.
    started = payloads(mine, "person.job_assignment.started")
    assert [p["person"] for p in started] == [acme_person.employee_number]
    assert len(payloads(hq, "person.job_assignment.started")) == 2

    acme_doc, house_doc = plant.document("SOP-A2"), plant.document("SOP-H2")
    acme_doc.client = acme
    acme_doc.save(update_fields=["client"])
    for document in (acme_doc, house_doc):
        plant.approve(plant.revise(document, "1"))
    acme_req = plant.requirement("RQ-A2", document=acme_doc, client=acme)
    house_req = plant.requirement("RQ-H2", document=house_doc)
    plant.matrix(acme_req, acme_line)
    plant.matrix(house_req)
    plant.matrix(house_req, acme_line)
    # One fan-out mixing clients, as a single event: each client gets its own rows.
    WebhookDelivery.objects.all().delete()
    emit.on_assignment_created(assignments=list(Assignment.objects.all()))
    [acme_rows] = payloads(mine, "training.assignment.created")
    assert {a["requirement"] for a in acme_rows["assignments"]} == {"RQ-A2"}
    assert acme_rows["count"] == len(acme_rows["assignments"]) == 1
    [all_rows] = payloads(hq, "training.assignment.created")
    assert {a["requirement"] for a in all_rows["assignments"]} == {"RQ-A2", "RQ-H2"}

    deviation = quality.deviation_create(
        actor=employee,
        number="DEV-2026-0100",
        site=plant.site,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        description="Mixed line",
        people=[acme_person, in_house],
        documents=[acme_doc, house_doc],
        client=acme,
    )
    [seen] = payloads(mine, "quality.deviation.created")
    assert seen["deviation"] == deviation.number
    assert seen["people"] == [acme_person.employee_number]
    assert seen["documents"] == ["SOP-A2"]
    assert all(row["document"] == "SOP-A2" for row in seen["not_qualified"])
    assert in_house.employee_number not in str(seen)
    assert "SOP-H2" not in str(seen)
    [whole] = payloads(hq, "quality.deviation.created")
    assert whole["people"] == sorted([acme_person.employee_number, in_house.employee_number])


def test_in_house_events_never_reach_a_client_subscription(world, plant):
    mine = subscribe(world["acme_bus"]).json()["id"]
    document = plant.document("SOP-H3")
    plant.approve(plant.revise(document, "1"))
    plant.person("Only In-house", job_function=plant.operators)
    assert WebhookDelivery.objects.filter(subscription_id=mine).count() == 0
