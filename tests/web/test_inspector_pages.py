"""Inspector pages (read-only): the qualification question with its evidence, the
transcript, the training status per version, and a record's audit trail."""

import pytest
from django.urls import reverse

from qualify.org import services as org
from tests.web.pages_support import plant  # noqa: F401


@pytest.mark.requirement("P13")
def test_inspector_pages_refuse_an_employee(client, employee):
    client.force_login(employee)
    assert client.get(reverse("web:inspector_question")).status_code == 403
    assert client.get(reverse("web:inspector_audit")).status_code == 403


@pytest.mark.requirement("Q4", "Q7", "S1", "T3")
def test_the_question_is_answered_with_the_evidence(client, auditor, plant):  # noqa: F811
    person = plant.person("Olivia", job_function=plant.operators)
    document = plant.document("SOP-014")
    requirement = plant.requirement("RU-SOP-014", document=document)
    plant.read(person, requirement)
    client.force_login(auditor)
    response = client.get(
        reverse("web:inspector_question"),
        {"person": person.employee_number, "document": "SOP-014", "at": "2099-01-01T00:00"},
    )
    assert response.context["answer"].qualified
    assert b"Yes: qualified" in response.content
    assert b"meaning: Read and understood" in response.content
    assert b"valid" in response.content
    earlier = client.get(
        reverse("web:inspector_question"),
        {
            "person": person.employee_number,
            "document": "SOP-014",
            "at": "2099-01-01T00:00",
            "as_known_at": "2000-01-01T00:00",
        },
    )
    assert not earlier.context["answer"].qualified
    assert b"No: not qualified" in earlier.content
    transcript = client.get(reverse("web:inspector_transcript", args=[person.pk]))
    assert b"RU-SOP-014" in transcript.content
    assert b"meaning: Read and understood" in transcript.content
    status = client.get(reverse("web:inspector_document_status", args=["SOP-014"]))
    assert status.status_code == 200


@pytest.mark.requirement("A1", "A4")
def test_a_records_audit_trail_shows_changes_and_verification(client, auditor, plant):  # noqa: F811
    document = plant.document("SOP-001")
    client.force_login(auditor)
    response = client.get(
        reverse("web:inspector_audit"),
        {"object_type": "documents.document", "object_id": document.pk},
    )
    trail = response.context["trail"]
    assert trail.ok
    assert trail.rows[0].event.action == "document.created"
    assert b"intact" in response.content
    assert b"document.created" in response.content
    verify = client.get(reverse("web:inspector_verify"), headers={"HX-Request": "true"})
    assert verify.status_code == 200


@pytest.mark.requirement("P13", "U2")
def test_another_clients_records_answer_404_or_not_found(client, auditor, plant):  # noqa: F811
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    other = org.client_create(actor=plant.admin, code="OTH", name="Other")
    from qualify.documents import services as documents

    hidden = documents.document_create(
        actor=plant.doc_controller,
        number="NVX-1",
        title="t",
        doc_type="sop",
        owner=plant.doc_controller,
        client=novexa,
    )
    org.client_access_grant(actor=plant.admin, user=auditor, client=other, reason="Client work")
    client.force_login(auditor)
    trail = client.get(
        reverse("web:inspector_audit"),
        {"object_type": "documents.document", "object_id": hidden.pk},
    )
    assert trail.status_code == 404
    assert client.get(reverse("web:inspector_document_status", args=["NVX-1"])).status_code == 404
