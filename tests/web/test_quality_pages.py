"""Quality pages: roles, the training picture, and a closure refused with its list (E2)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.quality import services as quality
from qualify.quality.models import Capa, CapaStatus
from tests.personas import PASSWORD
from tests.web.pages_support import plant  # noqa: F401


@pytest.mark.requirement("P13")
def test_quality_pages_refuse_an_employee(client, employee):
    client.force_login(employee)
    assert client.get(reverse("web:quality")).status_code == 403
    assert client.get(reverse("web:quality_list", args=["capas"])).status_code == 403
    assert client.get(reverse("web:quality_capa_new")).status_code == 403


@pytest.mark.requirement("P13")
def test_auditor_reads_but_cannot_close(client, auditor, qa):
    capa = quality.capa_create(
        actor=qa,
        number="CAPA-2026-001",
        source="other",
        problem_statement="p",
        root_cause_category="equipment",
    )
    client.force_login(auditor)
    assert client.get(reverse("web:quality_detail", args=["capas", capa.pk])).status_code == 200
    assert client.post(reverse("web:quality_close", args=["capas", capa.pk])).status_code == 403


@pytest.mark.requirement("E2", "S1")
def test_a_capa_refuses_to_close_with_its_open_items_then_closes(client, qa):
    client.force_login(qa)
    response = client.post(
        reverse("web:quality_capa_new"),
        {
            "number": "CAPA-2026-002",
            "source": "other",
            "problem_statement": "Bowl left open",
            "root_cause_category": "equipment",
        },
    )
    capa = Capa.objects.get(number="CAPA-2026-002")
    assert response.status_code == 302
    due = (timezone.now() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("web:quality_capa_action_new", args=[capa.pk]),
        {"kind": "corrective", "description": "Fit an interlock", "owner": qa.pk, "due_at": due},
    )
    action = capa.actions.get()
    # With an action open, closing is not offered: the page lists what is open instead.
    page = client.get(reverse("web:quality_detail", args=["capas", capa.pk]))
    assert b"Closing is offered once nothing above is open." in page.content
    assert b"Sign and close" not in page.content
    refused = client.post(
        reverse("web:quality_close", args=["capas", capa.pk]),
        {"sig-username": qa.username, "sig-password": PASSWORD},
    )
    assert refused.status_code == 422
    assert refused.context["refusal"]
    assert b"Closing was refused" in refused.content
    client.post(
        reverse("web:quality_action_complete", args=[action.pk]),
        {"comment": "Fitted", "sig-username": qa.username, "sig-password": PASSWORD},
    )
    assert (
        b"Sign and close"
        in client.get(reverse("web:quality_detail", args=["capas", capa.pk])).content
    )
    closed = client.post(
        reverse("web:quality_close", args=["capas", capa.pk]), {"sig-password": PASSWORD}
    )
    assert closed.status_code == 302
    capa.refresh_from_db()
    assert capa.status == CapaStatus.CLOSED
    page = client.get(reverse("web:quality_detail", args=["capas", capa.pk]))
    assert b"meaning: Closed" in page.content
    assert b"meaning: Verified" in page.content
    assert b"Training picture" in page.content


@pytest.mark.requirement("P13", "E2")
def test_a_capa_raised_from_a_deviations_page_names_its_deviation(client, qa, plant):  # noqa: F811
    deviation = quality.deviation_create(
        actor=qa,
        number="DEV-2026-0701",
        site=plant.site,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        description="Second-person check skipped",
    )
    client.force_login(qa)
    page = client.get(reverse("web:quality_detail", args=["deviations", deviation.pk]))
    link = f"{reverse('web:quality_capa_new')}?deviation={deviation.pk}"
    assert link.encode() in page.content
    form = client.get(link).context["form"]
    assert form.initial["source"] == "deviation"
    assert form.initial["deviation"] == deviation.pk
    assert form.initial["source_reference"] == "DEV-2026-0701"

    # Without the deviation, a CAPA "from a deviation" is refused with a plain message.
    fields = {
        "number": "CAPA-2026-070",
        "source": "deviation",
        "problem_statement": "Check skipped",
        "root_cause_category": "training",
    }
    refused = client.post(reverse("web:quality_capa_new"), fields)
    assert refused.status_code == 200
    assert "Choose the deviation" in str(refused.context["form"].errors["deviation"])
    assert not Capa.objects.filter(number="CAPA-2026-070").exists()

    done = client.post(reverse("web:quality_capa_new"), fields | {"deviation": deviation.pk})
    assert done.status_code == 302
    capa = Capa.objects.get(number="CAPA-2026-070")
    assert capa.deviation == deviation
    assert capa.source_reference == "DEV-2026-0701"
