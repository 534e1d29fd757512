"""Inspector pages (read-only): the qualification question with its evidence, the
transcript, the training status per version, and a record's audit trail."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.org import services as org
from tests.web.pages_support import plant  # noqa: F401


@pytest.mark.requirement("P13")
def test_inspector_pages_refuse_an_employee(client, employee):
    client.force_login(employee)
    assert client.get(reverse("web:inspector_question")).status_code == 403
    assert client.get(reverse("web:inspector_audit")).status_code == 403


@pytest.mark.requirement("Q4", "P27")
def test_asked_with_no_moment_the_question_is_answered_for_now(client, auditor, plant):  # noqa: F811
    """A record signed seconds ago counts when the inspector asks about "now": the
    moment is the instant of asking, never the current minute's start."""
    person = plant.person("Olivia", job_function=plant.operators)
    requirement = plant.requirement("RU-SOP-014", document=plant.document("SOP-014"))
    record = plant.read(person, requirement)
    client.force_login(auditor)
    page = client.get(reverse("web:inspector_question"))
    assert page.context["form"]["at"].value() is None
    response = client.get(
        reverse("web:inspector_question"),
        {"person": person.employee_number, "document": "SOP-014", "at": ""},
    )
    answer = response.context["answer"]
    assert answer is not None, response.context["form"].errors
    assert answer.at >= record.completed_at
    assert answer.qualified
    assert b"Yes: qualified" in response.content


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


def _trail_of(client, name):
    return client.get(reverse("web:inspector_audit"), {"record": name})


@pytest.mark.requirement("A1", "P13")
def test_the_audit_trail_page_takes_a_record_by_its_name_and_number(client, auditor, plant):  # noqa: F811
    person = plant.person("Olivia", job_function=plant.operators)
    document = plant.document("SOP-014")
    requirement = plant.requirement("RU-SOP-014", document=document)
    record = plant.read(person, requirement)
    version = document.versions.get(revision="1")
    client.force_login(auditor)
    for name, wanted in [
        ("SOP-014", document),
        ("sop-014 rev 1", version),
        ("SOP-014 revision 1", version),
        (f"training record {record.pk}", record),
        (f"Training record #{record.pk}", record),
        ("RU-SOP-014", requirement),
        (person.employee_number, person),
        (auditor.username, auditor),
    ]:
        response = _trail_of(client, name)
        assert response.status_code == 200, name
        assert response.context["trail"].record == wanted, name
        assert response.context["trail"].rows, name
    page = _trail_of(client, f"training record {record.pk}")
    assert b"training record" in page.content
    assert b"training.trainingrecord" not in page.content


@pytest.mark.requirement("P13")
@pytest.mark.parametrize(
    "name", ["SOP-999", "training record 99999", "nonsense words", "SOP-014 rev 9"]
)
def test_an_unknown_record_name_gets_a_clear_message(client, auditor, plant, name):  # noqa: F811
    client.force_login(auditor)
    response = _trail_of(client, name)
    assert response.status_code == 404
    assert response.context["trail"] is None
    assert b"No record you may see is called" in response.content
    assert b"Traceback" not in response.content


@pytest.mark.requirement("U2", "P13")
def test_a_client_restricted_auditor_reads_the_trail_of_no_record_they_may_not_see(
    client,
    auditor,
    plant,  # noqa: F811
):
    from qualify.api.tokens import token_create
    from qualify.documents import services as documents
    from qualify.quality import services as quality
    from qualify.signatures.models import Signature

    ours = org.client_create(actor=plant.admin, code="OUR", name="Ours")
    theirs = org.client_create(actor=plant.admin, code="THR", name="Theirs")
    their_function = org.job_function_create(
        actor=plant.coordinator,
        code="THR-OP",
        name="Their operator",
        site=plant.site,
        client=theirs,
    )
    their_person = plant.person("Theo", job_function=their_function)
    in_house_person = plant.person("Ines", job_function=plant.operators)
    in_house_doc = plant.document("SOP-100")
    their_doc = documents.document_create(
        actor=plant.doc_controller,
        number="THR-1",
        title="t",
        doc_type="sop",
        owner=plant.doc_controller,
        client=theirs,
    )
    our_doc = documents.document_create(
        actor=plant.doc_controller,
        number="OUR-1",
        title="t",
        doc_type="sop",
        owner=plant.doc_controller,
        client=ours,
    )
    deviation = quality.deviation_create(
        actor=plant.qa,
        number="DEV-2026-0801",
        site=plant.site,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        description="In-house",
    )
    token, _ = token_create(name="mes-line-1", scopes=["read"])
    signature = Signature.objects.filter(object_type="documents.documentversion").first()
    org.client_access_grant(actor=plant.admin, user=auditor, client=ours, reason="Client audit")
    client.force_login(auditor)

    assert _trail_of(client, "OUR-1").context["trail"].record == our_doc
    hidden = {
        "another client's person": ("org.person", their_person.pk),
        "an in-house person": ("org.person", in_house_person.pk),
        "another client": ("org.client", theirs.pk),
        "another client's document": ("documents.document", their_doc.pk),
        "an in-house document": ("documents.document", in_house_doc.pk),
        "another user's account": ("accounts.user", plant.qa.pk),
        "an in-house deviation": ("quality.deviation", deviation.pk),
        "a signature on an in-house revision": ("signatures.signature", signature.pk),
        "an API token": ("api.apitoken", token.pk),
        "the site": ("org.site", plant.site.pk),
    }
    for what, (object_type, object_id) in hidden.items():
        response = client.get(
            reverse("web:inspector_audit"), {"object_type": object_type, "object_id": object_id}
        )
        assert response.status_code == 404, what
        assert response.context["trail"] is None, what
    for name in ["THR-1", "SOP-100", their_person.employee_number, "THR", "DEV-2026-0801"]:
        assert _trail_of(client, name).status_code == 404, name
