"""New controlled documents: numbered by the type's scheme or typed, unique without
case (obsolete documents included), introduced with a first version that goes through
review and approval like any revision; periodic review due dates, reminders, a signed
"reviewed, no change" or a new revision."""

from urllib.parse import quote

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qualify.documents import numbering, queries, reminders, reviews, services
from qualify.documents.models import (
    Document,
    DocumentType,
    PeriodicReview,
    ReviewOutcome,
    ReviewReminder,
    VersionStatus,
)
from qualify.signatures.models import Signature
from qualify.signatures.services import content_hash
from tests.documents.support import creds, released
from tests.org.support import audit_events, utc

JAN = utc(2026, 1, 15, 9)


def new(actor, **fields):
    fields.setdefault("title", "Line clearance")
    fields.setdefault("doc_type", DocumentType.SOP)
    fields.setdefault("owner", actor)
    return services.document_create(actor=actor, **fields)


@pytest.mark.requirement("A1")
def test_an_empty_number_draws_the_next_number_of_the_type_scheme(doc_controller):
    first = new(doc_controller)
    second = new(doc_controller)
    typed = new(doc_controller, number="SOP-041")
    after_typed = new(doc_controller)
    form = new(doc_controller, doc_type=DocumentType.FORM)
    assert [first.number, second.number, typed.number, after_typed.number] == [
        "SOP-001",
        "SOP-002",
        "SOP-041",
        "SOP-042",
    ]
    assert form.number == "FRM-001"
    assert audit_events(first)[0].action == "document.created"


@pytest.mark.requirement("A1")
def test_the_numbering_scheme_is_configurable_per_type(doc_controller, settings):
    settings.QUALIFY_DOCUMENT_NUMBERING = {"sop": "QA-SOP-{seq:04d}"}
    assert new(doc_controller).number == "QA-SOP-0001"
    assert numbering.next_number("sop") == "QA-SOP-0002"


@pytest.mark.requirement("A1")
def test_a_number_is_unique_without_regard_to_case(doc_controller):
    new(doc_controller, number="SOP-007")
    with pytest.raises(ValidationError) as refused:
        new(doc_controller, number=" sop-007 ")
    assert "already used" in refused.value.message_dict["number"][0]
    assert Document.objects.count() == 1


@pytest.mark.requirement("P189")
@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("QA/SOP/001", 'cannot hold "/"'),
        ("..", "dots only"),
        ("SOP\x07001", "control characters"),
    ],
)
def test_a_number_that_cannot_be_part_of_an_address_is_refused(doc_controller, number, words):
    with pytest.raises(ValidationError) as refused:
        new(doc_controller, number=number)
    assert words in refused.value.message_dict["number"][0]
    assert Document.objects.count() == 0


@pytest.mark.requirement("P189")
@pytest.mark.parametrize("number", ["SOP 001", "SOP#1", "SOP?1", "SOP%1", "SOP.1.2", "Ü-1"])
def test_a_number_with_other_signs_is_listed_and_opens(client, doc_controller, number):
    # Anything but "/" and dots only is quoted in the address and comes back whole.
    document = new(doc_controller, number=number)
    client.force_login(doc_controller)
    listed = client.get("/documents/")
    assert listed.status_code == 200
    assert f'href="{quote(f"/documents/{number}/", safe="/")}"' in listed.content.decode()
    assert client.get(f"/documents/{quote(number, safe='')}/").context["document"] == document


@pytest.mark.requirement("P189")
def test_a_scheme_that_would_number_documents_with_a_slash_is_refused(settings):
    settings.QUALIFY_DOCUMENT_NUMBERING = {"sop": "QA/SOP/{seq:03d}"}
    with pytest.raises(ImproperlyConfigured):
        numbering.next_number("sop")


@pytest.mark.requirement("Q1", "A1")
def test_a_number_of_an_obsolete_document_is_never_reused(doc_controller, reviewer, qa):
    old = new(doc_controller, number="SOP-003")
    with time_machine.travel(JAN, tick=False):
        released(old, doc_controller, reviewer, qa, "1")
    services.document_obsolete(
        actor=qa, document=old, reason="Process retired", credentials=creds(qa)
    )
    with pytest.raises(ValidationError) as refused:
        new(doc_controller, number="sop-003")
    assert "obsolete" in refused.value.message_dict["number"][0]
    # The scheme skips it too: the next number is after the obsolete one.
    assert new(doc_controller).number == "SOP-004"


@pytest.mark.requirement("A1")
def test_the_database_refuses_a_number_differing_only_in_case(doc_controller):
    """Two people drawing at once: the constraint, not only the check, keeps them apart."""
    new(doc_controller, number="WI-001")
    clash = Document(
        number="wi-001",
        title="Clash",
        doc_type="wi",
        owner=doc_controller,
        created_at=JAN,
    )
    with pytest.raises(ValidationError):
        clash.full_clean()


@pytest.mark.requirement("Q1", "S1", "S2", "A1")
def test_a_new_document_and_its_first_version_go_through_review_and_approval(
    doc_controller, reviewer, qa
):
    upload = SimpleUploadedFile("sop.md", b"# Line clearance\n\n1. Remove all labels.\n")
    document, version = services.document_introduce(
        actor=doc_controller,
        title="Line clearance",
        doc_type=DocumentType.SOP,
        owner=doc_controller,
        review_interval_months=24,
        revision="1",
        file=upload,
    )
    assert document.number == "SOP-001"
    assert document.review_interval_months == 24
    assert version.status == VersionStatus.DRAFT
    assert version.retraining_required
    assert len(version.file_sha256) == 64
    # A Markdown upload is also shown as text on the reading page.
    assert version.content_text.startswith("# Line clearance")
    services.version_submit(
        actor=doc_controller, version=version, credentials=creds(doc_controller)
    )
    with pytest.raises(PermissionDenied):  # S2: the author holds no approval right
        services.version_approve(
            actor=doc_controller, version=version, credentials=creds(doc_controller)
        )
    services.version_review(actor=reviewer, version=version, credentials=creds(reviewer))
    services.version_approve(actor=qa, version=version, credentials=creds(qa))
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert queries.effective_version(document, at=version.effective_from) == version


@pytest.mark.requirement("A1")
def test_a_refused_first_version_creates_no_document(doc_controller):
    script = SimpleUploadedFile("sop.html", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError) as refused:
        services.document_introduce(
            actor=doc_controller,
            title="Line clearance",
            doc_type=DocumentType.SOP,
            owner=doc_controller,
            revision="1",
            file=script,
        )
    assert "file" in refused.value.message_dict
    assert not Document.objects.exists()
    with pytest.raises(ValidationError) as empty:
        services.document_introduce(
            actor=doc_controller,
            title="Line clearance",
            doc_type=DocumentType.SOP,
            owner=doc_controller,
            revision="1",
        )
    assert "file" in empty.value.message_dict
    assert not Document.objects.exists()


@pytest.mark.requirement("A1")
def test_only_a_document_controller_creates_documents(qa, coordinator):
    with pytest.raises(PermissionDenied):
        new(coordinator)
    assert not Document.objects.exists()


# --- periodic review ----------------------------------------------------------------


@pytest.fixture
def in_force(doc_controller, reviewer, qa):
    document = new(doc_controller, number="SOP-100", review_interval_months=12)
    with time_machine.travel(JAN, tick=False):
        version = released(document, doc_controller, reviewer, qa, "1")
    return document, version


@pytest.mark.requirement("Q1")
def test_a_periodic_review_is_due_one_interval_after_the_version_took_effect(in_force):
    document, version = in_force
    assert version.effective_from == JAN
    at = utc(2026, 6, 1)
    status = reviews.review_status(document, at=at)
    assert (status.state, status.due_at, status.current) == (
        reviews.SCHEDULED,
        utc(2027, 1, 15, 9),
        version,
    )
    assert reviews.review_status(document, at=utc(2026, 12, 20)).state == reviews.DUE_SOON
    assert reviews.review_status(document, at=utc(2027, 1, 15, 9)).state == reviews.OVERDUE
    document.review_interval_months = None
    assert reviews.review_status(document, at=at).state == reviews.NOT_SCHEDULED


@pytest.mark.requirement("S1", "A1")
def test_reviewed_no_change_is_signed_and_restarts_the_clock(in_force, reviewer):
    document, version = in_force
    when = utc(2027, 1, 20)
    with time_machine.travel(when, tick=False):
        review = services.periodic_review_no_change(
            actor=reviewer,
            document=document,
            comment="Still matches the line layout.",
            credentials=creds(reviewer),
        )
    assert (review.outcome, review.version, review.due_at) == (
        ReviewOutcome.NO_CHANGE,
        version,
        utc(2027, 1, 15, 9),
    )
    [signature] = Signature.objects.filter(object_type="documents.periodicreview")
    assert (signature.signer, signature.meaning) == (reviewer, "reviewed")
    assert signature.content_hash == content_hash(review)
    assert audit_events(review)[0].action == "document.periodic_review.no_change"
    status = reviews.review_status(document, at=when)
    assert (status.state, status.due_at) == (reviews.SCHEDULED, utc(2028, 1, 20))


@pytest.mark.requirement("S1")
def test_a_no_change_review_needs_a_comment_and_a_valid_signature(in_force, reviewer):
    document, _ = in_force
    with pytest.raises(ValidationError) as no_comment:
        services.periodic_review_no_change(
            actor=reviewer, document=document, comment=" ", credentials=creds(reviewer)
        )
    assert "comment" in no_comment.value.message_dict
    with pytest.raises(ValidationError):
        services.periodic_review_no_change(
            actor=reviewer,
            document=document,
            comment="Fine.",
            credentials=creds(reviewer, "wrong password"),
        )
    assert not PeriodicReview.objects.exists()


@pytest.mark.requirement("S2")
def test_only_reviewers_record_a_periodic_review(in_force, coordinator, employee):
    document, _ = in_force
    for who in (coordinator, employee):
        with pytest.raises(PermissionDenied):
            services.periodic_review_no_change(
                actor=who, document=document, comment="Fine.", credentials=creds(who)
            )
    assert not PeriodicReview.objects.exists()


@pytest.mark.requirement("Q1", "A1")
def test_a_review_may_start_a_new_revision_whose_approval_restarts_the_clock(
    in_force, doc_controller, reviewer, qa
):
    document, _ = in_force
    with time_machine.travel(utc(2027, 1, 10), tick=False):
        review, draft = services.periodic_review_revise(
            actor=doc_controller,
            document=document,
            comment="Step 4 no longer matches the new labeller.",
            revision="2",
            change_summary="Step 4 for the new labeller",
            content_text="Revised text.",
        )
    assert (review.outcome, review.revision) == (ReviewOutcome.REVISION, draft)
    later = utc(2027, 2, 1)
    assert reviews.review_status(document, at=later).state == reviews.REVISION_OPEN
    with time_machine.travel(later, tick=False), pytest.raises(ValidationError):
        # The open revision answers the review: no second answer beside it.
        services.periodic_review_no_change(
            actor=reviewer, document=document, comment="Fine.", credentials=creds(reviewer)
        )
    with time_machine.travel(utc(2027, 2, 2), tick=False):
        services.version_submit(
            actor=doc_controller, version=draft, credentials=creds(doc_controller)
        )
        services.version_review(actor=reviewer, version=draft, credentials=creds(reviewer))
        services.version_approve(actor=qa, version=draft, credentials=creds(qa))
    status = reviews.review_status(document, at=utc(2027, 3, 1))
    assert (status.state, status.due_at) == (reviews.SCHEDULED, utc(2028, 2, 2))


@pytest.mark.requirement("A1")
def test_reminders_go_to_the_owner_once_when_due_soon_and_once_when_overdue(
    in_force, django_capture_on_commit_callbacks
):
    document, _ = in_force
    assert reminders.send_review_reminders(utc(2026, 6, 1)) == {"review_reminders_sent": 0}
    soon = utc(2026, 12, 20)
    late = utc(2027, 2, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_review_reminders(soon)["review_reminders_sent"] == 1
        assert reminders.send_review_reminders(soon)["review_reminders_sent"] == 0
        assert reminders.send_review_reminders(late)["review_reminders_sent"] == 1
        assert reminders.send_review_reminders(late)["review_reminders_sent"] == 0
    assert [m.subject for m in mail.outbox] == [
        "Periodic review due: SOP-100",
        "Periodic review overdue: SOP-100",
    ]
    assert mail.outbox[0].to == [document.owner.email]
    assert ReviewReminder.objects.count() == 2
