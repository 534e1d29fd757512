"""After an action the page says who acts next (issue 11, "My work"), named from the
inboxes that now hold the work, so the rules of the inbox (S2) decide who is named."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from qualify.documents.models import DocumentVersion
from qualify.quality import services as quality
from qualify.quality.queries import work
from tests.personas import PASSWORD
from tests.web.pages_support import plant  # noqa: F401

pytestmark = pytest.mark.django_db


def sign(user, **extra):
    return {"sig-username": user.username, "sig-password": PASSWORD, **extra}


def said(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def drafted(client, doc_controller, plant):  # noqa: F811
    plant.document("SOP-014")
    client.force_login(doc_controller)
    client.post(
        reverse("web:document_revise", args=["SOP-014"]),
        {
            "revision": "2",
            "change_summary": "New needle change",
            "retraining_required": "yes",
            "content_text": "Change needles every 4 hours.",
        },
    )
    return DocumentVersion.objects.get(document__number="SOP-014", revision="2")


@pytest.mark.requirement("S2", "P28")
def test_after_submitting_the_page_names_the_reviewers_never_the_author(
    client,
    doc_controller,
    plant,  # noqa: F811
):
    version = drafted(client, doc_controller, plant)
    response = client.post(
        reverse("web:document_version_submit", args=[version.pk]), sign(doc_controller)
    )
    message = said(response)
    assert "Next: review by a reviewer (" in message
    assert plant.reviewer.printed_name in message
    assert doc_controller.printed_name not in message.split("Next:")[1]


@pytest.mark.requirement("S2", "P28")
def test_after_review_the_page_names_the_qa_approvers_who_did_not_review_it(
    client,
    doc_controller,
    qa,
    plant,  # noqa: F811
):
    version = drafted(client, doc_controller, plant)
    client.post(reverse("web:document_version_submit", args=[version.pk]), sign(doc_controller))
    client.force_login(plant.reviewer)
    response = client.post(
        reverse("web:document_version_review", args=[version.pk]), sign(plant.reviewer)
    )
    message = said(response)
    assert f"Next: approval by a QA approver ({qa.printed_name})." in message
    # The names are the inbox's: the approver named holds the approval in their inbox.
    assert [
        u.pk
        for u in work.holders(
            work.DOCUMENT_REVIEW,
            f"documents.documentversion:{version.pk}:approve",
            perm="documents.approve_version",
        )
    ] == [qa.pk]


@pytest.mark.requirement("E2", "P28")
def test_after_adding_a_capa_action_the_page_names_its_owner(client, qa, plant):  # noqa: F811
    capa = quality.capa_create(
        actor=qa,
        number="CAPA-2026-011",
        source="audit_finding",
        problem_statement="Line clearance done by one person.",
        root_cause_category="training",
    )
    client.force_login(qa)
    response = client.post(
        reverse("web:quality_capa_action_new", args=[capa.pk]),
        {
            "kind": "corrective",
            "description": "Add a second check",
            "owner": plant.doc_controller.pk,
            "due_at": (timezone.now() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert f"Next: {plant.doc_controller.printed_name} carries out the action." in said(response)


@pytest.mark.requirement("P28")
def test_steps_that_end_the_work_say_nobody_acts_next():
    assert work.next_actor(work.PRACTICAL_SIGNED).startswith("Next: nobody")
    assert work.next_actor(work.CLOSED).startswith("Next: nobody")
    with pytest.raises(ValueError):
        work.next_actor("no-such-step")
