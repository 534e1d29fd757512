"""Document pages: a new document with its first version, a duplicate number refused
on the field with nothing lost, and the periodic review signed from its page."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from qualify.documents import services
from qualify.documents.models import Document, PeriodicReview, ReviewOutcome, VersionStatus
from tests.documents.support import creds, released
from tests.personas import PASSWORD, make_user
from tests.training.support import DAY


def form_data(**extra):
    data = {
        "doc_type": "sop",
        "number": "",
        "title": "Line clearance",
        "review_interval_months": "24",
        "revision": "1",
        "change_summary": "First issue.",
        "content_text": "1. Remove every label of the previous batch.",
    }
    data["owner"] = extra.pop("owner")
    data.update(extra)
    return data


@pytest.mark.requirement("Q1", "A1")
def test_a_controller_creates_a_document_with_its_first_version_from_the_page(
    client, doc_controller
):
    client.force_login(doc_controller)
    listing = client.get(reverse("web:documents"))
    assert reverse("web:document_new").encode() in listing.content
    response = client.post(reverse("web:document_new"), form_data(owner=doc_controller.pk))
    document = Document.objects.get()
    version = document.versions.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:document_version", args=[version.pk])
    assert (document.number, document.review_interval_months) == ("SOP-001", 24)
    assert version.status == VersionStatus.DRAFT
    assert version.content_text.startswith("1. Remove every label")


@pytest.mark.requirement("A1")
def test_a_number_used_by_an_obsolete_document_is_refused_on_the_field_and_nothing_lost(
    client, doc_controller, qa
):
    old = services.document_create(
        actor=doc_controller,
        number="SOP-009",
        title="Old line",
        doc_type="sop",
        owner=doc_controller,
    )
    reviewer_version = services.version_draft(
        actor=doc_controller, document=old, revision="1", change_summary="x", content_text="x"
    )
    services.version_withdraw(actor=doc_controller, version=reviewer_version, reason="Unused")
    services.document_obsolete(actor=qa, document=old, reason="Line retired", credentials=creds(qa))
    client.force_login(doc_controller)
    response = client.post(
        reverse("web:document_new"),
        form_data(owner=doc_controller.pk, number="sop-009", title="Keep this title"),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "already used by an obsolete document" in errors["number"][0]
    assert b"Keep this title" in response.content  # nothing typed is lost
    assert Document.objects.count() == 1


@pytest.mark.requirement("A1")
def test_an_upload_refused_keeps_the_typed_fields_and_says_to_choose_the_file_again(
    client, doc_controller
):
    client.force_login(doc_controller)
    data = form_data(owner=doc_controller.pk, content_text="", title="Typed title")
    data["file"] = SimpleUploadedFile("x.html", b"<html><script>alert(1)</script>")
    response = client.post(reverse("web:document_new"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["file"]
    assert b"Typed title" in response.content
    assert not Document.objects.exists()


@pytest.mark.requirement("A1")
def test_only_a_document_controller_reaches_the_new_document_page(client, qa, coordinator):
    for user in (qa, coordinator):
        client.force_login(user)
        assert client.get(reverse("web:document_new")).status_code == 403


@pytest.fixture
def in_force(doc_controller, qa):
    reviewer = make_user("reviewer", "employee", "document_controller")
    document = services.document_create(
        actor=doc_controller,
        number="SOP-300",
        title="Gowning",
        doc_type="sop",
        owner=doc_controller,
        review_interval_months=12,
    )
    released(document, doc_controller, reviewer, qa, "1")
    return document


@pytest.mark.requirement("S1", "A1")
def test_the_periodic_review_page_signs_reviewed_no_change(client, qa, in_force):
    url = reverse("web:document_review", args=[in_force.number])
    client.force_login(qa)
    detail = client.get(reverse("web:document", args=[in_force.number]))
    assert url.encode() in detail.content
    assert b"Periodic review" in detail.content
    missing = client.post(
        url, {"comment": "", "sig-username": qa.username, "sig-password": PASSWORD}
    )
    assert missing.status_code == 422
    assert missing.context["form"].errors["comment"]
    wrong = client.post(
        url, {"comment": "Fine", "sig-username": qa.username, "sig-password": "nope"}
    )
    assert wrong.status_code == 422
    assert b"password is not correct" in wrong.content
    assert not PeriodicReview.objects.exists()
    done = client.post(
        url,
        {
            "comment": "Gowning steps unchanged.",
            "sig-username": qa.username,
            "sig-password": PASSWORD,
        },
    )
    assert done.status_code == 302
    review = PeriodicReview.objects.get()
    assert (review.outcome, review.reviewed_by) == (ReviewOutcome.NO_CHANGE, qa)
    page = client.get(url)
    assert b"Gowning steps unchanged." in page.content
    assert b"meaning: Reviewed" in page.content


@pytest.mark.requirement("Q1")
def test_a_revision_is_started_from_the_periodic_review_page(client, doc_controller, in_force):
    with time_machine.travel(timezone.now() + 400 * DAY):
        client.force_login(doc_controller)
        overdue = client.get(reverse("web:document_review", args=[in_force.number]))
        assert b"Overdue" in overdue.content
        response = client.post(
            reverse("web:document_review_revise", args=[in_force.number]),
            {
                "comment": "The gown supplier changed.",
                "revision": "2",
                "change_summary": "New gown",
                "retraining_required": "yes",
                "content_text": "Revised text",
            },
        )
    assert response.status_code == 302
    review = PeriodicReview.objects.get()
    assert review.outcome == ReviewOutcome.REVISION
    assert review.revision.revision == "2"
    assert review.revision.status == VersionStatus.DRAFT
