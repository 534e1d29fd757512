"""Delta training at the HTTP level (L3, P42): the revision's page shows the redline
against the version the person was last trained on, with document control's notes;
signing records the version and notes what the delta was shown against."""

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.documents import services as documents
from qualify.documents.services.notes import section_note_set
from qualify.training.models import Assignment, AssignmentStatus, TrainingRecord
from tests.personas import PASSWORD
from tests.training.support import DAY, creds

pytestmark = pytest.mark.django_db

REV1 = "# Scope\nFilling line 1.\n# Cleaning\nWipe with IPA.\n# Records\nSign the record.\n"
REV2 = "# Scope\nFilling line 1.\n# Cleaning\nWipe with 70% IPA.\n# Records\nSign the record.\n"
REV3 = (
    "# Scope\nFilling lines 1 and 2.\n# Cleaning\nWipe with 70% IPA.\n# Records\nSign the record.\n"
)


def revise(plant, document, revision, text):
    version = documents.version_draft(
        actor=plant.doc_controller,
        document=document,
        revision=revision,
        change_summary=f"Revision {revision}",
        content_text=text,
        retraining_required=True,
    )
    documents.version_submit(
        actor=plant.doc_controller, version=version, credentials=creds(plant.doc_controller)
    )
    documents.version_review(
        actor=plant.reviewer, version=version, credentials=creds(plant.reviewer)
    )
    return plant.approve(version, effective_from=timezone.now() + (39 + int(revision)) * DAY)


@pytest.fixture
def revised(plant, employee):
    """Olivia signed rev 1 of SOP-020; revs 2 and 3 came while she was away."""
    operator = plant.person("Olivia", user=employee, job_function=plant.operators)
    document = plant.document("SOP-020")
    first = document.versions.get()
    first.content_text = REV1
    first.save(update_fields=["content_text"])  # the plant's rev 1, given a text
    requirement = plant.requirement("RU-SOP-020", document=document)
    plant.matrix(requirement)
    plant.read(operator, requirement)
    revise(plant, document, "2", REV2)
    third = revise(plant, document, "3", REV3)
    section_note_set(
        actor=plant.doc_controller, version=third, section="Scope", note="Line 2 added (CC-7)"
    )
    assignment = Assignment.objects.get(
        person=operator, requirement=requirement, status=AssignmentStatus.OPEN
    )
    return operator, document, first, third, assignment


@pytest.mark.requirement("L3", "P42")
def test_the_redline_is_against_the_version_last_trained_on_not_the_previous(
    client, employee, revised
):
    _, _, _, third, assignment = revised
    assert assignment.document_version == third
    client.force_login(employee)
    page = client.get(reverse("web:employee_assignment", args=[assignment.pk])).content.decode()
    assert "Changes since rev 1, the version you were last trained on" in page
    # Rev 1 -> rev 3: both the rev 2 change (cleaning) and the rev 3 change (scope).
    assert "<del>Wipe with IPA.</del>" in page
    assert "<ins>Wipe with 70% IPA.</ins>" in page
    assert "<ins>Filling lines 1 and 2.</ins>" in page
    assert "Line 2 added (CC-7)" in page
    assert page.index("redline-title") < page.index("doc-title")  # changes first
    assert "Filling lines 1 and 2." in page.split('id="doc-title"')[1]  # full text too


@pytest.mark.requirement("L3", "P42")
def test_signing_after_the_redline_binds_the_version_and_notes_the_delta(client, employee, revised):
    operator, _, first, third, assignment = revised
    client.force_login(employee)
    url = reverse("web:employee_assignment", args=[assignment.pk])
    response = client.post(
        url, {"username": employee.username, "password": PASSWORD, "delta_from": "999999"}
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.filter(person=operator).latest("pk")
    assert record.document_version == third
    assert record.delta_from == first  # computed by the server, the posted field ignored
    assert "delta_from" not in record.signed_content()


@pytest.mark.requirement("L3")
def test_a_first_reading_shows_no_redline(client, employee, reading):
    _, _, _, assignment = reading
    client.force_login(employee)
    page = client.get(reverse("web:employee_assignment", args=[assignment.pk])).content.decode()
    assert "redline-title" not in page


@pytest.mark.requirement("P42")
def test_document_control_writes_section_notes_on_the_page(client, doc_controller, revised):
    _, _, _, third, _ = revised
    client.force_login(doc_controller)
    url = reverse("web:document_version_notes", args=[third.pk])
    page = client.get(url).content.decode()
    assert "Line 2 added (CC-7)" in page
    assert "Cleaning" in page  # the version's sections are offered
    response = client.post(url, {"section": "Cleaning", "note": "70% stated"})
    assert response.status_code == 302
    assert third.section_notes.get(section="Cleaning").note == "70% stated"
    refused = client.post(url, {"section": "Scope", "note": "Again"})  # replace: needs reason
    assert refused.status_code == 422
    assert third.section_notes.get(section="Scope").note == "Line 2 added (CC-7)"


@pytest.mark.requirement("P42")
def test_an_employee_cannot_write_section_notes(client, employee, revised):
    _, _, _, third, _ = revised
    client.force_login(employee)
    url = reverse("web:document_version_notes", args=[third.pk])
    assert client.post(url, {"section": "Scope", "note": "x"}).status_code in (403, 404)
    assert third.section_notes.count() == 1


@pytest.mark.requirement("L3", "P42")
def test_the_api_gives_the_same_redline_and_takes_section_notes(employee, doc_controller, revised):
    from rest_framework.test import APIClient

    _, _, _, third, assignment = revised
    api = APIClient()
    api.force_login(employee)
    body = api.get(reverse("api:assignment-delta", args=[assignment.pk])).json()
    assert body["since"] == "SOP-020 rev 1"
    assert body["version"] == "SOP-020 rev 3"
    scope = next(s for s in body["sections"] if s["title"] == "Scope")
    assert scope["note"] == "Line 2 added (CC-7)"
    assert {"kind": "added", "text": "Filling lines 1 and 2."} in scope["lines"]
    assert body["sections"][-1]["status"] == "unchanged"  # changed sections first
    refused = api.post(
        reverse("api:version-section-notes", args=[third.pk]), {"section": "X", "note": "y"}
    )
    assert refused.status_code == 403
    writer = APIClient()
    writer.force_login(doc_controller)
    url = reverse("api:version-section-notes", args=[third.pk])
    created = writer.post(url, {"section": "Cleaning", "note": "70% stated"}, format="json")
    assert created.status_code == 201
    assert [n["section"] for n in writer.get(url).json()] == ["Cleaning", "Scope"]
    empty = writer.post(url, {"section": "Records", "note": ""}, format="json")
    assert empty.status_code == 400
    assert third.section_notes.count() == 2


@pytest.mark.requirement("P44")
def test_the_api_gives_my_learning_path(employee, revised):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(employee)
    body = api.get(reverse("api:me-learning-path")).json()
    assert body["total"] == 1
    assert body["steps"][0]["requirement"] == "RU-SOP-020"
    assert body["steps"][0]["state"] in ("open", "done")


@pytest.mark.requirement("L3", "P42")
def test_signing_through_the_api_notes_the_delta_as_the_page_does(employee, revised):
    """L3: the API's read-and-understood signature records the version the redline
    was drawn against, computed on the server (a posted delta_from is ignored)."""
    from rest_framework.test import APIClient

    operator, _, first, third, assignment = revised
    api = APIClient()
    api.force_login(employee)
    response = api.post(
        reverse("api:assignment-sign", args=[assignment.pk]),
        {"password": PASSWORD, "delta_from": 999999},
        format="json",
    )
    assert response.status_code == 201, response.content
    record = TrainingRecord.objects.get(pk=response.json()["id"])
    assert record.person == operator
    assert record.document_version == third
    assert record.delta_from == first


@pytest.mark.requirement("L3", "P42")
def test_a_first_reading_signed_through_the_api_notes_no_delta(employee, reading):
    """L3: with no earlier record there is no redline, and the API records none."""
    from rest_framework.test import APIClient

    _, _, _, assignment = reading
    api = APIClient()
    api.force_login(employee)
    response = api.post(
        reverse("api:assignment-sign", args=[assignment.pk]), {"password": PASSWORD}, format="json"
    )
    assert response.status_code == 201, response.content
    assert TrainingRecord.objects.get(pk=response.json()["id"]).delta_from is None
