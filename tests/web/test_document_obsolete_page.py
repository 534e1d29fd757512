"""Making a document obsolete: QA signs "approved" (Q1, G6); other roles 403,
another client's document 404, a refusal shown on the form."""

import pytest
from django.urls import reverse

from qualify.documents import services as documents
from qualify.org import services as org
from qualify.training.models import AssignmentStatus
from tests.personas import PASSWORD


def sign(user, **extra):
    return {"sig-username": user.username, "sig-password": PASSWORD, **extra}


@pytest.mark.requirement("P13")
def test_only_qa_makes_a_document_obsolete(client, plant, employee):
    document = plant.document("SOP-030")
    url = reverse("web:document_obsolete", args=[document.number])
    for user in (employee, plant.doc_controller, plant.coordinator):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(plant.doc_controller)
    assert (
        b"Make obsolete" not in client.get(reverse("web:document", args=[document.number])).content
    )


@pytest.mark.requirement("P13", "U2")
def test_another_clients_document_cannot_be_made_obsolete(client, plant):
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    other = org.client_create(actor=plant.admin, code="OTH", name="Other")
    hidden = documents.document_create(
        actor=plant.doc_controller,
        number="NVX-9",
        title="t",
        doc_type="sop",
        owner=plant.doc_controller,
        client=novexa,
    )
    org.client_access_grant(actor=plant.admin, user=plant.qa, client=other, reason="Client work")
    client.force_login(plant.qa)
    assert client.get(reverse("web:document_obsolete", args=[hidden.number])).status_code == 404


@pytest.mark.requirement("Q1", "G6", "S1")
def test_qa_signs_a_document_obsolete_and_its_open_training_is_cancelled(client, plant, reading):
    _operator, document, _requirement, assignment = reading
    url = reverse("web:document_obsolete", args=[document.number])
    client.force_login(plant.qa)
    page = client.get(reverse("web:document", args=[document.number]))
    assert b"Make obsolete" in page.content
    form = client.get(url)
    assert b"By signing you state" in form.content
    refused = client.post(url, sign(plant.qa, reason=""))
    assert refused.status_code == 422
    assert "reason" in refused.context["form"].errors
    done = client.post(url, sign(plant.qa, reason="Replaced by SOP-099"))
    assert done.status_code == 302
    document.refresh_from_db()
    assert document.obsolete_from is not None
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED
    page = client.get(reverse("web:document", args=[document.number]))
    assert b"Obsolete from" in page.content
    assert b"Make obsolete" not in page.content
