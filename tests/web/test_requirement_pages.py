"""Coordinator pages for training requirements and curricula: roles (403), client
restriction, the service's refusals shown on the form, items in order with prerequisites."""

import pytest
from django.urls import reverse

from qualify.org import services as org
from qualify.training.models import Curriculum, Evidence, Requirement
from tests.web.pages_support import client_requirement


@pytest.mark.requirement("P13")
def test_requirement_and_curriculum_pages_refuse_other_roles(client, employee, doc_controller):
    for user in (employee, doc_controller):
        client.force_login(user)
        assert client.get(reverse("web:coordinator_requirements")).status_code == 403
        assert client.get(reverse("web:coordinator_requirement_new")).status_code == 403
        assert client.get(reverse("web:coordinator_curricula")).status_code == 403


@pytest.mark.requirement("P13")
def test_an_auditor_reads_curricula_but_cannot_create_one(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse("web:coordinator_curricula")).status_code == 200
    response = client.post(reverse("web:coordinator_curricula"), {"code": "C", "title": "t"})
    assert response.status_code == 403
    assert not Curriculum.objects.exists()


@pytest.mark.requirement("Q3", "Q8")
def test_coordinator_defines_an_assessed_recurring_requirement(client, plant):
    document = plant.document("SOP-020")
    client.force_login(plant.coordinator)
    form = client.get(reverse("web:coordinator_requirement_new"))
    assert b'<label for="id_pass_mark">' in form.content
    response = client.post(
        reverse("web:coordinator_requirement_new"),
        {
            "code": "EL-SOP-020",
            "title": "Aseptic gowning quiz",
            "method": "elearning",
            "document": document.pk,
            "recurrence_months": "12",
            "evidence_required": "assessment",
            "pass_mark": "80",
        },
    )
    assert response.status_code == 302
    requirement = Requirement.objects.get(code="EL-SOP-020")
    assert requirement.document == document
    assert requirement.recurrence_months == 12
    assert requirement.evidence_required == Evidence.ASSESSMENT
    assert requirement.pass_mark == 80
    assert b"EL-SOP-020" in client.get(reverse("web:coordinator_requirements")).content


@pytest.mark.requirement("Q3", "Q4")
def test_on_the_job_without_a_trainer_requirement_is_refused_on_the_field(client, plant):
    client.force_login(plant.coordinator)
    response = client.post(
        reverse("web:coordinator_requirement_new"),
        {
            "code": "OJT-FILL",
            "title": "Filling line set-up",
            "method": "ojt",
            "checklist": "Set-up\nLine clearance",
        },
    )
    assert response.status_code == 422
    assert "trainer_requirement" in response.context["form"].errors
    assert not Requirement.objects.filter(code="OJT-FILL").exists()


@pytest.mark.requirement("P13", "U2")
def test_a_restricted_coordinator_sees_only_their_clients_requirements(client, plant):
    _client, hidden = client_requirement(plant)
    other = org.client_create(actor=plant.admin, code="OTH", name="Other")
    org.client_access_grant(
        actor=plant.admin, user=plant.coordinator, client=other, reason="Client work"
    )
    client.force_login(plant.coordinator)
    assert hidden.code.encode() not in client.get(reverse("web:coordinator_requirements")).content
    form = client.get(reverse("web:coordinator_requirement_new")).context["form"]
    assert hidden not in form.fields["trainer_requirement"].queryset


@pytest.mark.requirement("Q5", "G1")
def test_curriculum_items_in_order_with_a_prerequisite(client, plant):
    first = plant.requirement("RU-A", document=plant.document("SOP-A"))
    second = plant.requirement("RU-B", document=plant.document("SOP-B"))
    client.force_login(plant.coordinator)
    response = client.post(
        reverse("web:coordinator_curricula"), {"code": "CUR-FILL", "title": "Filling"}
    )
    curriculum = Curriculum.objects.get(code="CUR-FILL")
    assert response.url == reverse("web:coordinator_curriculum", args=[curriculum.pk])
    url = reverse("web:coordinator_curriculum", args=[curriculum.pk])
    assert client.post(url, {"requirement": first.pk}).status_code == 302
    refused = client.post(url, {"requirement": second.pk, "position": "1"})
    assert refused.status_code == 422
    assert "position" in refused.context["form"].errors
    assert client.post(url, {"requirement": second.pk, "prerequisite": first.pk}).status_code == 302
    items = list(curriculum.items.order_by("position"))
    assert [(i.position, i.requirement, i.prerequisite) for i in items] == [
        (1, first, None),
        (2, second, first),
    ]
    page = client.get(url)
    assert page.status_code == 200
    assert b"RU-A" in page.content
    assert b"RU-B" in page.content


def test_a_missing_curriculum_answers_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("web:coordinator_curriculum", args=[999])).status_code == 404
