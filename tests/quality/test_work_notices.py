"""Work arrives by mail (issue 11, "My work"): each kind of work the inbox lists is
mailed, after the commit, to the people whose inbox now holds it, with a link to where
it is done; the inbox's own rules decide who (S2, U2), and each item is mailed once."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from qualify.documents import services as documents
from qualify.documents.reminders import send_review_reminders
from qualify.org import services as org
from qualify.quality import services
from qualify.quality.models import ActionStatus
from qualify.quality.tasks import run_reminders
from tests.quality.plant import creds

pytestmark = pytest.mark.django_db


def to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def submit(plant, number="SOP-020"):
    document = plant.document(number)
    version = documents.version_draft(
        actor=plant.doc_controller,
        document=document,
        revision="1",
        change_summary="First issue",
        content_text="Text",
    )
    return documents.version_submit(
        actor=plant.doc_controller, version=version, credentials=creds(plant.doc_controller)
    )


def deviation(plant, number, **kw):
    return services.deviation_create(
        actor=plant.qa,
        number=number,
        site=plant.site,
        occurred_at=timezone.now() - dt.timedelta(days=1),
        description="Line clearance skipped on batch B-77.",
        **kw,
    )


@pytest.mark.requirement("S2", "P28")
def test_a_revision_submitted_for_review_is_mailed_after_commit_to_possible_reviewers_not_its_author(  # noqa: E501
    plant, django_capture_on_commit_callbacks
):
    reviewer = plant.reviewer
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = submit(plant)
    assert to(reviewer) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    [notice] = to(reviewer)
    assert "Review SOP-020 revision 1" in notice.subject
    assert reverse("web:document_version", args=[version.pk]) in notice.body
    assert "/work/" in notice.body
    # S2: the author is not asked to review their own revision.
    assert to(plant.doc_controller) == []


@pytest.mark.requirement("S2", "P28")
def test_a_review_done_is_mailed_to_the_approvers_who_did_not_review_it(
    plant, django_capture_on_commit_callbacks
):
    version = submit(plant)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        documents.version_review(
            actor=plant.reviewer, version=version, credentials=creds(plant.reviewer)
        )
    [notice] = to(plant.qa)
    assert "Approve SOP-020 revision 1" in notice.subject
    assert reverse("web:document_version", args=[version.pk]) in notice.body
    # The reviewer may approve other versions but not the one they reviewed (S2).
    assert to(plant.reviewer) == []


@pytest.mark.requirement("E2", "P28")
def test_a_capa_action_assigned_is_mailed_to_its_owner_once(
    plant, django_capture_on_commit_callbacks
):
    capa = services.capa_create(
        actor=plant.qa,
        number="CAPA-2026-011",
        source="audit_finding",
        problem_statement="Line clearance done by one person.",
        root_cause_category="training",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        action = services.capa_action_add(
            actor=plant.qa,
            capa=capa,
            kind="corrective",
            description="Add a second check",
            owner=plant.reviewer,
            due_at=timezone.now() + dt.timedelta(days=7),
        )
    [notice] = to(plant.reviewer)
    assert "CAPA-2026-011" in notice.subject
    assert reverse("web:quality_detail", args=["capas", capa.pk]) in notice.body
    assert to(plant.qa) == []  # not the owner
    # Saved again (still open, same owner): not told twice.
    with django_capture_on_commit_callbacks(execute=True):
        action.save()
    assert len(to(plant.reviewer)) == 1


@pytest.mark.requirement("U2", "E2", "P28")
def test_a_deviation_reported_is_mailed_to_qa_and_a_client_restricted_approver_only_of_their_clients(  # noqa: E501
    plant, django_capture_on_commit_callbacks
):
    acme = org.client_create(actor=plant.admin, code="ACM", name="Acme")
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    org.client_access_grant(
        actor=plant.admin, user=plant.reviewer, client=acme, reason="Acme's QA only"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deviation(plant, "DEV-2026-0300", client=novexa)
    assert [m.subject for m in to(plant.qa)] == [
        "Waiting for you in Qualify: Assess deviation DEV-2026-0300"
    ]
    assert to(plant.reviewer) == []  # Novexa's deviation is not theirs to hear of (U2)
    with django_capture_on_commit_callbacks(execute=True):
        acme_deviation = deviation(plant, "DEV-2026-0301", client=acme)
    [notice] = to(plant.reviewer)
    assert "DEV-2026-0301" in notice.subject
    assert reverse("web:quality_detail", args=["deviations", acme_deviation.pk]) in notice.body


@pytest.mark.requirement("E2", "P28")
def test_an_effectiveness_review_falling_due_is_mailed_to_qa_once(plant):
    document = plant.document("SOP-014", "Line clearance")
    plant.approve(plant.revise(document, "1"))
    sop = plant.requirement("SOP-014-RU", document=document)
    [operator] = plant.operator_crew(1)
    capa = services.capa_create(
        actor=plant.qa,
        number="CAPA-2026-012",
        source="audit_finding",
        problem_statement="Line clearance done by one person.",
        root_cause_category="training",
    )
    review_on = timezone.now() + dt.timedelta(days=60)
    action = services.capa_action_add(
        actor=plant.qa,
        capa=capa,
        kind="training",
        description="Retrain operators",
        owner=plant.qa,
        due_at=timezone.now() + dt.timedelta(days=14),
        requirement=sop,
        job_functions=[plant.operators],
        effectiveness_check="review",
        review_on=review_on,
    )
    plant.complete(operator, sop)
    action.refresh_from_db()
    assert action.status == ActionStatus.AWAITING_VERIFICATION
    mail.outbox.clear()
    assert run_reminders(at=timezone.now())["effectiveness_due"] == 0  # not yet due
    assert run_reminders(at=review_on + dt.timedelta(hours=1))["effectiveness_due"] >= 1
    notices = [m for m in to(plant.qa) if "review the effectiveness" in m.subject]
    assert len(notices) == 1
    assert reverse("web:quality_action_review", args=[action.pk]) in notices[0].body
    # The next day's run does not tell again.
    assert run_reminders(at=review_on + dt.timedelta(days=1))["effectiveness_due"] == 0


@pytest.mark.requirement("Q1", "P28")
def test_a_periodic_review_falling_due_is_mailed_to_the_owner_with_a_link_to_it(
    plant, django_capture_on_commit_callbacks
):
    document = plant.document("SOP-040")
    plant.approve(
        plant.revise(document, "1"), effective_from=timezone.now() - dt.timedelta(days=400)
    )
    documents.document_update(
        actor=plant.doc_controller,
        document=document,
        reason="Yearly review",
        review_interval_months=12,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send_review_reminders(timezone.now())
    [notice] = to(plant.doc_controller)
    assert "SOP-040" in notice.subject
    assert reverse("web:document_review", args=["SOP-040"]) in notice.body
    assert "/work/" in notice.body
