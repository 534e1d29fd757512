"""Quality pages that raise and change records: change controls (raise, approve by
e-signature, link a revision), deviations (the stored snapshot), CAPA training actions
(G5), the E4 QA review and the effectiveness review on its date."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.quality import services as quality
from qualify.quality.models import (
    ActionStatus,
    Capa,
    ChangeControl,
    ChangeControlStatus,
    Deviation,
)
from qualify.training.models import Assignment, AssignmentStatus
from tests.personas import PASSWORD


def sign(user, **extra):
    return {"sig-username": user.username, "sig-password": PASSWORD, **extra}


def local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def raise_capa(qa, number="CAPA-2026-010"):
    return quality.capa_create(
        actor=qa,
        number=number,
        source="audit_finding",
        problem_statement="Line clearance missed twice",
        root_cause_category="training",
    )


@pytest.mark.requirement("P13")
def test_new_quality_pages_refuse_roles_without_permission(client, employee, auditor, qa):
    capa = raise_capa(qa)
    client.force_login(employee)
    assert client.get(reverse("web:quality_cc_new")).status_code == 403
    assert client.get(reverse("web:quality_capa_training_new", args=[capa.pk])).status_code == 403
    assert client.get(reverse("web:quality_capa_qa_review", args=[capa.pk])).status_code == 403
    client.force_login(auditor)
    assert client.get(reverse("web:quality_deviation_new")).status_code == 403
    assert client.get(reverse("web:quality_cc_new")).status_code == 403
    assert client.post(reverse("web:quality_cc_approve", args=[1])).status_code == 403


@pytest.mark.requirement("P13")
def test_a_document_controller_raises_change_controls_but_not_capa_actions(
    client, doc_controller, qa
):
    capa = raise_capa(qa)
    client.force_login(doc_controller)
    assert client.get(reverse("web:quality_cc_new")).status_code == 200
    url = reverse("web:quality_capa_training_new", args=[capa.pk])
    assert client.get(url).status_code == 403


@pytest.mark.requirement("E2", "S1", "S2", "G3")
def test_change_control_raised_approved_by_signature_and_a_revision_linked(client, plant, reading):
    _operator, document, _requirement, _assignment = reading
    client.force_login(plant.doc_controller)
    response = client.post(
        reverse("web:quality_cc_new"),
        {
            "number": "CC-2026-031",
            "title": "New stopper bowl",
            "description": "Replace the stopper bowl on line 2",
            "reason": "Jams",
            "risk": "medium",
            "affected_documents": [document.pk],
            "affected_job_functions": [plant.operators.pk],
            "planned_effective_date": (timezone.now() + dt.timedelta(days=40)).date().isoformat(),
        },
    )
    cc = ChangeControl.objects.get(number="CC-2026-031")
    assert response.status_code == 302
    assert list(cc.affected_documents.all()) == [document]
    page = client.get(reverse("web:quality_detail", args=["change-controls", cc.pk]))
    assert b"Awaiting approval by someone other than you" in page.content
    refused = client.post(
        reverse("web:quality_cc_approve", args=[cc.pk]), sign(plant.doc_controller)
    )
    assert refused.status_code == 422
    assert b"cannot approve" in refused.content

    client.force_login(plant.qa)
    approved = client.post(
        reverse("web:quality_cc_approve", args=[cc.pk]), sign(plant.qa, comment="Go")
    )
    assert approved.status_code == 302
    cc.refresh_from_db()
    assert cc.status == ChangeControlStatus.APPROVED
    page = client.get(reverse("web:quality_detail", args=["change-controls", cc.pk]))
    assert b"meaning: Approved" in page.content

    version = plant.draft(document, "2")
    client.force_login(plant.doc_controller)
    link = reverse("web:quality_cc_link", args=[cc.pk])
    assert version in client.get(link).context["form"].fields["version"].queryset
    assert client.post(link, {"version": version.pk}).status_code == 302
    assert cc.revisions.get().version == version
    # Linked once: the revision is no longer offered.
    assert version not in client.get(link).context["form"].fields["version"].queryset


@pytest.mark.requirement("Q4", "Q7", "E1")
def test_an_operator_reports_a_deviation_and_sees_the_stored_snapshot(
    client, plant, employee, reading
):
    operator, document, _requirement, _assignment = reading  # assigned, never trained
    client.force_login(employee)
    form = client.get(reverse("web:quality_deviation_new"))
    assert form.status_code == 200
    assert form.context["form"]["site"].value() == plant.site.pk
    response = client.post(
        reverse("web:quality_deviation_new"),
        {
            "site": plant.site.pk,
            "occurred_at": local(timezone.now() - dt.timedelta(hours=2)),
            "description": "Filled without line clearance",
            "batch": "B-2026-117",
            "people": [operator.pk],
            "documents": [document.pk],
        },
    )
    deviation = Deviation.objects.get()
    assert response.status_code == 302
    assert deviation.number.startswith("DEV-")
    page = client.get(response.url)
    assert page.status_code == 200
    assert b"Qualification snapshot" in page.content
    assert b"not qualified" in page.content
    [row] = deviation.snapshot.all()
    assert not row.qualified_as_known_then
    assert not row.qualified_known_now

    # Another operator may not know it exists (P15: own reach is 404, not 403).
    other = plant.person("Other").user
    client.force_login(other)
    assert client.get(response.url).status_code == 404


@pytest.mark.requirement("T1")
def test_a_deviation_in_the_future_is_refused(client, plant, qa):
    client.force_login(qa)
    response = client.post(
        reverse("web:quality_deviation_new"),
        {
            "site": plant.site.pk,
            "occurred_at": local(timezone.now() + dt.timedelta(days=2)),
            "description": "Not yet",
        },
    )
    assert response.status_code == 422
    assert not Deviation.objects.exists()


@pytest.mark.requirement("G5", "E4", "S1")
def test_training_action_assigns_retraining_flags_qa_review_and_the_review_clears_it(
    client, plant, reading
):
    operator, _document, requirement, assignment = reading
    capa = raise_capa(plant.qa)
    client.force_login(plant.qa)
    url = reverse("web:quality_capa_training_new", args=[capa.pk])
    refused = client.post(
        url,
        {
            "description": "Retrain",
            "requirement": requirement.pk,
            "owner": plant.qa.pk,
            "due_at": local(timezone.now() + dt.timedelta(days=14)),
            "effectiveness_check": "none",
        },
    )
    assert refused.status_code == 422
    assert b"names people or job functions" in refused.content
    response = client.post(
        url,
        {
            "description": "Retrain the filling crew on line clearance",
            "requirement": requirement.pk,
            "people": [operator.pk],
            "owner": plant.qa.pk,
            "due_at": local(timezone.now() + dt.timedelta(days=14)),
            "effectiveness_check": "none",
        },
    )
    assert response.status_code == 302
    action = capa.actions.get()
    assert action.targets.get().person == operator
    assert Assignment.objects.filter(
        person=operator, requirement=requirement, status=AssignmentStatus.OPEN
    ).exclude(pk=assignment.pk)
    capa.refresh_from_db()
    assert capa.qa_review_required
    page = client.get(reverse("web:quality_detail", args=["capas", capa.pk]))
    assert b"Record the QA review" in page.content

    review = reverse("web:quality_capa_qa_review", args=[capa.pk])
    assert client.post(review, sign(plant.qa, comment="")).status_code == 422
    assert client.post(review, sign(plant.qa, comment="Root cause was training")).status_code == 302
    capa.refresh_from_db()
    assert capa.qa_reviewed_at is not None
    page = client.get(reverse("web:quality_detail", args=["capas", capa.pk]))
    assert b"Record the QA review" not in page.content
    assert b"meaning: Reviewed" in page.content


@pytest.mark.requirement("E2", "E3", "S1")
def test_effectiveness_review_is_refused_before_its_date_then_completes_the_action(
    client, plant, reading, time_machine
):
    operator, _document, requirement, _assignment = reading
    capa = raise_capa(plant.qa)
    review_on = timezone.now() + dt.timedelta(days=30)
    action = quality.capa_action_add(
        actor=plant.qa,
        capa=capa,
        kind="training",
        description="Retrain",
        owner=plant.qa,
        due_at=timezone.now() + dt.timedelta(days=14),
        requirement=requirement,
        people=[operator],
        effectiveness_check="review",
        review_on=review_on,
    )
    plant.read(operator, requirement)
    action.refresh_from_db()
    assert action.status == ActionStatus.AWAITING_VERIFICATION
    client.force_login(plant.qa)
    url = reverse("web:quality_action_review", args=[action.pk])
    # Before its date the review is not offered, and its page says why before any
    # password is typed; a post is still refused by the service.
    page = client.get(reverse("web:quality_detail", args=["capas", capa.pk]))
    assert b"Review effectiveness" not in page.content
    assert b"effectiveness review from" in page.content
    form = client.get(url)
    assert b"can be signed from" in form.content
    assert b'name="sig-password"' not in form.content
    early = client.post(url, sign(plant.qa, effective="yes", comment="Fine"))
    assert early.status_code == 422
    assert b"not before" in early.content
    action.refresh_from_db()
    assert action.status == ActionStatus.AWAITING_VERIFICATION
    time_machine.move_to(review_on + dt.timedelta(hours=1), tick=False)
    client.force_login(plant.qa)  # the idle session expired meanwhile (U1)
    page = client.get(reverse("web:quality_detail", args=["capas", capa.pk]))
    assert b"Review effectiveness" in page.content
    done = client.post(url, sign(plant.qa, effective="yes", comment="No recurrence"))
    assert done.status_code == 302
    assert done.url == reverse("web:quality_detail", args=["capas", capa.pk])
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETE
    page = client.get(reverse("web:quality_detail", args=["capas", capa.pk]))
    assert b"No recurrence" in page.content
    assert b"meaning: Verified" in page.content


def test_a_missing_change_control_answers_404(client, qa):
    client.force_login(qa)
    assert client.get(reverse("web:quality_cc_link", args=[999])).status_code == 404
    assert client.get(reverse("web:quality_capa_training_new", args=[999])).status_code == 404
    assert Capa.objects.count() == 0
