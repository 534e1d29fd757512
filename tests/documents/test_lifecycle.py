import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qualify.documents import services
from qualify.documents.models import Document, DocumentType, DocumentVersion, VersionStatus
from qualify.signatures.models import Signature
from qualify.signatures.services import SignatureRefused
from tests import files
from tests.documents.support import creds, released, submitted
from tests.org.support import audit_count, audit_events


@pytest.mark.requirement("A1")
def test_creating_a_document_writes_an_audit_event(doc_controller, document):
    (event,) = audit_events(document)
    assert event.action == "document.created"
    assert event.changes["number"] == [None, "SOP-001"]


@pytest.mark.requirement("U2")
@pytest.mark.parametrize(
    "persona", ["employee", "trainer", "coordinator", "qa", "auditor", "admin"]
)
def test_only_a_document_controller_creates_documents(db, request, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.document_create(
            actor=actor, number="SOP-9", title="T", doc_type=DocumentType.SOP, owner=actor
        )
    assert not Document.objects.exists()


def test_a_duplicate_document_number_is_refused(doc_controller, document):
    with pytest.raises(ValidationError) as refused:
        services.document_create(
            actor=doc_controller,
            number="SOP-001",
            title="Again",
            doc_type="sop",
            owner=doc_controller,
        )
    assert "number" in refused.value.message_dict


@pytest.mark.requirement("A1")
def test_a_draft_stores_its_file_with_the_sha256(doc_controller, document):
    content = files.pdf("SOP-001 rev A")
    upload = SimpleUploadedFile("sop-001-a.pdf", content, content_type="application/pdf")
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First issue",
        file=upload,
    )
    version.refresh_from_db()
    assert (version.sequence, version.status) == (1, VersionStatus.DRAFT)
    assert version.author == doc_controller
    assert version.file_sha256 == hashlib.sha256(content).hexdigest()
    assert version.file.name.endswith("sop-001-a.pdf")
    with version.file.open("rb") as stored:
        assert stored.read() == content
    (event,) = audit_events(version)
    assert event.action == "document.version.drafted"
    assert event.changes["file_sha256"] == [None, version.file_sha256]


def test_only_one_version_may_be_open_at_a_time(doc_controller, document):
    services.version_draft(
        actor=doc_controller, document=document, revision="A", change_summary="First"
    )
    with pytest.raises(ValidationError, match="already has revision A draft"):
        services.version_draft(
            actor=doc_controller, document=document, revision="B", change_summary="Second"
        )
    assert document.versions.count() == 1


def test_a_revision_label_is_unique_per_document(doc_controller, reviewer, qa, document):
    released(document, doc_controller, reviewer, qa, "A")
    with pytest.raises(ValidationError) as refused:
        services.version_draft(
            actor=doc_controller, document=document, revision="A", change_summary="Again"
        )
    assert "revision" in refused.value.message_dict


def test_sequence_follows_the_last_version_even_after_a_withdrawal(doc_controller, document):
    first = services.version_draft(
        actor=doc_controller, document=document, revision="A", change_summary="First"
    )
    services.version_withdraw(actor=doc_controller, version=first, reason="Wrong template")
    second = services.version_draft(
        actor=doc_controller, document=document, revision="A1", change_summary="First, again"
    )
    assert second.sequence == 2


@pytest.mark.requirement("A1")
def test_a_draft_changes_only_with_a_reason_and_the_event_names_the_changed_fields(
    doc_controller, document
):
    version = services.version_draft(
        actor=doc_controller, document=document, revision="A", change_summary="First"
    )
    with pytest.raises(ValidationError) as refused:
        services.version_update_draft(
            actor=doc_controller, version=version, reason="", content_text="New"
        )
    assert "reason" in refused.value.message_dict
    services.version_update_draft(
        actor=doc_controller, version=version, reason="Typo in step 3", content_text="Step 3: fill"
    )
    event = audit_events(version)[-1]
    assert event.action == "document.version.updated"
    assert event.changes == {"content_text": ["", "Step 3: fill"]}
    assert event.reason == "Typo in step 3"


def test_a_version_in_review_cannot_be_edited(doc_controller, reviewer, document):
    version = submitted(document, doc_controller, reviewer, "A")
    with pytest.raises(ValidationError, match="only a draft"):
        services.version_update_draft(
            actor=doc_controller, version=version, reason="x", content_text="Changed after review"
        )
    version.refresh_from_db()
    assert version.content_text == "Procedure text, revision A."


@pytest.mark.requirement("S1", "A1")
def test_submitting_signs_authored_and_moves_to_review(doc_controller, document):
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First",
        content_text="Text",
    )
    services.version_submit(
        actor=doc_controller, version=version, credentials=creds(doc_controller)
    )
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW
    assert version.submitted_at is not None
    (signature,) = Signature.objects.filter(object_id=str(version.pk))
    assert (signature.meaning, signature.signer) == ("authored", doc_controller)
    event = audit_events(version, "document.version.submitted")[0]
    assert event.changes["status"] == ["draft", "in_review"]


def test_a_version_without_content_cannot_be_submitted(doc_controller, document):
    version = services.version_draft(
        actor=doc_controller, document=document, revision="A", change_summary="First"
    )
    with pytest.raises(ValidationError, match="no content"):
        services.version_submit(
            actor=doc_controller, version=version, credentials=creds(doc_controller)
        )


@pytest.mark.requirement("S1")
def test_a_wrong_password_submits_nothing_but_the_refusal_is_audited(doc_controller, document):
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First",
        content_text="Text",
    )
    with pytest.raises(SignatureRefused):
        services.version_submit(
            actor=doc_controller,
            version=version,
            credentials=creds(doc_controller, password="wrong"),
        )
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert not Signature.objects.exists()
    assert audit_events(doc_controller, "signature.refused")


def test_only_the_author_submits(doc_controller, reviewer, document):
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First",
        content_text="Text",
    )
    with pytest.raises(PermissionDenied):
        services.version_submit(actor=reviewer, version=version, credentials=creds(reviewer))


@pytest.mark.requirement("S2")
def test_the_author_cannot_review_their_own_version(doc_controller, document):
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First",
        content_text="Text",
    )
    services.version_submit(
        actor=doc_controller, version=version, credentials=creds(doc_controller)
    )
    before = audit_count()
    with pytest.raises(ValidationError, match="author"):
        services.version_review(
            actor=doc_controller, version=version, credentials=creds(doc_controller)
        )
    assert audit_count() == before
    assert list(Signature.objects.values_list("meaning", flat=True)) == ["authored"]


@pytest.mark.requirement("S2")
def test_an_employee_cannot_review(employee, doc_controller, document):
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First",
        content_text="Text",
    )
    services.version_submit(
        actor=doc_controller, version=version, credentials=creds(doc_controller)
    )
    with pytest.raises(PermissionDenied):
        services.version_review(actor=employee, version=version, credentials=creds(employee))


@pytest.mark.requirement("A1")
def test_reviewing_signs_reviewed_and_audits_the_comment(doc_controller, reviewer, document):
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First",
        content_text="Text",
    )
    services.version_submit(
        actor=doc_controller, version=version, credentials=creds(doc_controller)
    )
    services.version_review(
        actor=reviewer,
        version=version,
        credentials=creds(reviewer),
        comment="Checked against the URS",
    )
    signature = Signature.objects.get(meaning="reviewed")
    assert (signature.signer, signature.comment) == (reviewer, "Checked against the URS")
    event = audit_events(version, "document.version.reviewed")[0]
    assert event.reason == "Checked against the URS"
    assert event.changes == {}


@pytest.mark.requirement("A1")
def test_withdrawing_needs_a_reason_and_only_works_on_open_versions(
    doc_controller, reviewer, qa, document
):
    version = submitted(document, doc_controller, reviewer, "A")
    with pytest.raises(ValidationError):
        services.version_withdraw(actor=doc_controller, version=version, reason="")
    services.version_withdraw(actor=doc_controller, version=version, reason="Superseded by CC-12")
    version.refresh_from_db()
    assert version.status == VersionStatus.WITHDRAWN
    event = audit_events(version)[-1]
    assert (event.action, event.changes["status"]) == (
        "document.version.withdrawn",
        ["in_review", "withdrawn"],
    )

    approved = released(document, doc_controller, reviewer, qa, "B")
    with pytest.raises(ValidationError, match="only a"):
        services.version_withdraw(actor=doc_controller, version=approved, reason="Oops")
    assert DocumentVersion.objects.get(pk=approved.pk).status == VersionStatus.APPROVED
