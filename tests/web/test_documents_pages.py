"""Document control pages: roles (403), client restriction (404), the revision flow
with signatures, and the impact preview on the approval page."""

import pytest
from django.urls import reverse

from qualify.documents.models import DocumentVersion, VersionStatus
from qualify.org import services as org
from qualify.training.models import Assignment, AssignmentStatus
from tests.personas import PASSWORD
from tests.web.pages_support import plant  # noqa: F401


def sign(user, **extra):
    return {"sig-username": user.username, "sig-password": PASSWORD, **extra}


@pytest.mark.requirement("P13", "U2")
def test_document_pages_refuse_roles_without_permission(client, employee, plant):  # noqa: F811
    document = plant.document("SOP-001")
    client.force_login(employee)
    assert client.get(reverse("web:documents")).status_code == 403
    assert client.get(reverse("web:document", args=[document.number])).status_code == 403
    assert client.get(reverse("web:document_revise", args=[document.number])).status_code == 403


@pytest.mark.requirement("P13", "U2")
def test_another_clients_document_answers_404(client, doc_controller, plant):  # noqa: F811
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    other = org.client_create(actor=plant.admin, code="OTH", name="Other")
    from qualify.documents import services as documents

    hidden = documents.document_create(
        actor=doc_controller,
        number="NVX-1",
        title="t",
        doc_type="sop",
        owner=doc_controller,
        client=novexa,
    )
    org.client_access_grant(
        actor=plant.admin, user=doc_controller, client=other, reason="Client work"
    )
    client.force_login(doc_controller)
    assert client.get(reverse("web:document", args=[hidden.number])).status_code == 404
    assert client.get(reverse("web:document_revise", args=[hidden.number])).status_code == 404
    assert b"NVX-1" not in client.get(reverse("web:documents")).content


@pytest.mark.requirement("G3", "S1", "S2", "Q1", "T3")
def test_revision_uploaded_reviewed_and_approved_with_impact_preview(
    client,
    doc_controller,
    qa,
    plant,  # noqa: F811
):
    person = plant.person("Olivia", job_function=plant.operators)
    document = plant.document("SOP-014")
    requirement = plant.requirement("RU-SOP-014", document=document)
    plant.matrix(requirement, window_days=1)
    plant.read(person, requirement)

    client.force_login(doc_controller)
    page = client.get(reverse("web:document", args=["SOP-014"]))
    assert b"Effective" in page.content
    assert b"meaning: Approved" in page.content
    response = client.post(
        reverse("web:document_revise", args=["SOP-014"]),
        {
            "revision": "2",
            "change_summary": "New needle change",
            "retraining_required": "yes",
            "content_text": "Change needles every 4 hours.",
        },
    )
    version = DocumentVersion.objects.get(document=document, revision="2")
    assert response.status_code == 302
    # S1: the first signing in the session asks for the user id.
    refused = client.post(
        reverse("web:document_version_submit", args=[version.pk]), {"sig-password": PASSWORD}
    )
    assert refused.status_code == 422
    assert b"Enter your user id" in refused.content
    client.post(reverse("web:document_version_submit", args=[version.pk]), sign(doc_controller))
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW
    # S2: the author cannot review their own revision.
    own = client.post(
        reverse("web:document_version_review", args=[version.pk]), {"sig-password": PASSWORD}
    )
    assert own.status_code == 422

    client.force_login(plant.reviewer)
    client.post(reverse("web:document_version_review", args=[version.pk]), sign(plant.reviewer))

    client.force_login(qa)
    approval = client.get(reverse("web:document_version_approve", args=[version.pk]))
    assert approval.status_code == 200
    preview = approval.context["preview"]
    assert preview.people == 1
    assert preview.by_job_function == {"OP": 1}
    assert b"Impact of approving SOP-014 rev 2" in approval.content
    assert b"Time in UTC." in approval.content  # T3: the zone is named
    assert b"UTC (UTC)" not in approval.content
    fragment = client.get(
        reverse("web:document_version_approve", args=[version.pk]),
        {"effective_from": "2099-01-01T10:00"},
        headers={"HX-Request": "true"},
    )
    assert fragment.templates[0].name == "web/documents/_impact.html"
    assert b"2099-01-01" in fragment.content
    # Effective now is inside the 1-day window: refused without a QA exception (G3).
    refused = client.post(reverse("web:document_version_approve", args=[version.pk]), sign(qa))
    assert refused.status_code == 422
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW
    done = client.post(
        reverse("web:document_version_approve", args=[version.pk]),
        {"sig-password": PASSWORD, "window_exception_reason": "Safety fix"},
    )
    assert done.status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert Assignment.objects.filter(
        person=person, document_version=version, status=AssignmentStatus.OPEN
    ).exists()
    page = client.get(reverse("web:document_version", args=[version.pk]))
    assert b"meaning: Approved" in page.content
    assert b"valid" in page.content


@pytest.mark.requirement("P13")
def test_only_qa_reaches_the_approval_page(client, doc_controller, plant):  # noqa: F811
    document = plant.document("SOP-002")
    version = document.versions.get()
    client.force_login(doc_controller)
    assert client.get(reverse("web:document_version_approve", args=[version.pk])).status_code == 403


@pytest.mark.requirement("S2")
def test_the_approval_page_says_why_before_a_password_is_typed(client, doc_controller, plant):  # noqa: F811
    from qualify.accounts import roles
    from qualify.documents import services as documents
    from tests.personas import make_user

    both = make_user("review_qa", roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER, roles.QA_APPROVER)
    document = plant.document("SOP-020")
    version = documents.version_draft(
        actor=doc_controller, document=document, revision="2", change_summary="c", content_text="t"
    )
    client.force_login(doc_controller)
    client.post(reverse("web:document_version_submit", args=[version.pk]), sign(doc_controller))
    client.force_login(both)
    page = client.get(reverse("web:document_version_approve", args=[version.pk]))
    assert b"must be reviewed before approval" in page.content
    assert b'name="sig-password"' not in page.content

    client.post(reverse("web:document_version_review", args=[version.pk]), sign(both))
    page = client.get(reverse("web:document_version_approve", args=[version.pk]))
    assert b"You reviewed revision 2; a different person must approve it." in page.content
    assert b'name="sig-password"' not in page.content
