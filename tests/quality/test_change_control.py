"""Change control CC-2026-031: SOP-014 revision 6 and the training it causes (E2, G3)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qualify.quality import queries, services
from qualify.quality.models import ChangeControlStatus
from qualify.signatures.services import signatures_of
from tests.quality.plant import creds
from tests.quality.support import nothing_written, only_refusal_recorded

pytestmark = pytest.mark.django_db


def raise_cc(plant, document, number="CC-2026-031"):
    return services.change_control_create(
        actor=plant.doc_controller,
        number=number,
        title="SOP-014 rev 6: new line clearance step",
        description="Add a second-person check of line clearance before filling.",
        reason="Deviation trend on mix-ups at line clearance.",
        risk="medium",
        planned_effective_date=(timezone.now() + dt.timedelta(days=31)).date(),
        affected_documents=[document],
        affected_job_functions=[plant.operators],
    )


@pytest.fixture
def sop014(plant):
    document = plant.document("SOP-014", "Line clearance")
    rev5 = plant.approve(plant.revise(document, "5"))
    requirement = plant.requirement("SOP-014-RU", document=document)
    return document, rev5, requirement


@pytest.mark.requirement("E2", "G3", "G5")
def test_cc_closes_only_when_the_revision_is_effective_and_the_last_operator_has_signed(
    plant, sop014, time_machine
):
    document, _rev5, requirement = sop014
    crew = plant.operator_crew(37)
    plant.matrix(requirement)
    for operator in crew:
        plant.complete(operator, requirement)  # everyone trained on revision 5

    cc = raise_cc(plant, document)
    cc = services.change_control_approve(
        actor=plant.qa, change_control=cc, credentials=creds(plant.qa)
    )
    assert cc.status == ChangeControlStatus.APPROVED
    assert [s.meaning for s in signatures_of(cc)] == ["approved"]

    rev6 = plant.revise(document, "6")
    services.change_control_link_revision(
        actor=plant.doc_controller, change_control=cc, version=rev6
    )
    effective = timezone.now() + dt.timedelta(days=31)
    plant.approve(rev6, effective_from=effective)

    picture = queries.training_picture(cc)
    assert len(picture) == 37
    assert {row["version"] for row in picture} == {"SOP-014 rev 6"}
    assert {row["status"] for row in picture} == {"Open"}

    with (
        pytest.raises(services.QualityRefused) as refused,
        only_refusal_recorded("quality.change_control.close_refused"),
    ):
        services.change_control_close(
            actor=plant.qa, change_control=cc, credentials=creds(plant.qa)
        )
    assert len(refused.value.items) == 38
    assert "SOP-014 rev 6 is not effective yet" in refused.value.items[0]

    for operator in crew[:36]:
        plant.complete(operator, requirement)
    time_machine.move_to(effective + dt.timedelta(hours=1), tick=False)
    with (
        pytest.raises(services.QualityRefused) as refused,
        only_refusal_recorded("quality.change_control.close_refused"),
    ):
        services.change_control_close(
            actor=plant.qa, change_control=cc, credentials=creds(plant.qa)
        )
    [item] = refused.value.items
    assert crew[36].full_name in item
    assert "SOP-014-RU (rev 6) is open" in item

    plant.complete(crew[36], requirement)
    cc = services.change_control_close(
        actor=plant.qa, change_control=cc, credentials=creds(plant.qa), comment="All trained"
    )
    assert cc.status == ChangeControlStatus.CLOSED
    assert [s.meaning for s in signatures_of(cc)] == ["approved", "closed"]
    picture = queries.training_picture(cc)
    assert {row["status"] for row in picture} == {"Completed"}
    assert all(row["evidence"]["signatures"] for row in picture)


@pytest.mark.requirement("E2")
def test_a_draft_change_control_cannot_close(plant, sop014):
    cc = raise_cc(plant, sop014[0])
    with (
        pytest.raises(services.QualityRefused, match="is not approved"),
        only_refusal_recorded("quality.change_control.close_refused"),
    ):
        services.change_control_close(
            actor=plant.qa, change_control=cc, credentials=creds(plant.qa)
        )


@pytest.mark.requirement("S2")
def test_the_person_who_raised_a_change_cannot_approve_it(plant, sop014, qa):
    cc = services.change_control_create(
        actor=qa,
        number="CC-2026-032",
        title="t",
        description="d",
        reason="r",
        risk="low",
        planned_effective_date=timezone.now().date(),
        affected_documents=[sop014[0]],
    )
    with pytest.raises(ValidationError, match="cannot approve"), nothing_written():
        services.change_control_approve(actor=qa, change_control=cc, credentials=creds(qa))


def test_only_document_controllers_and_qa_raise_change_controls(plant, sop014, employee):
    with pytest.raises(PermissionDenied), nothing_written():
        raise_cc(
            type("P", (), {"doc_controller": employee, "operators": plant.operators})(), sop014[0]
        )


def test_a_badly_numbered_change_control_is_refused(plant, sop014):
    with pytest.raises(ValidationError, match="CC-2026-031"), nothing_written():
        raise_cc(plant, sop014[0], number="change 31")


def test_a_revision_of_an_unaffected_document_cannot_be_linked(plant, sop014):
    cc = raise_cc(plant, sop014[0])
    other = plant.document("SOP-099")
    draft = plant.revise(other, "1")
    with (
        pytest.raises(ValidationError, match="not among the documents affected"),
        nothing_written(),
    ):
        services.change_control_link_revision(
            actor=plant.doc_controller, change_control=cc, version=draft
        )


@pytest.mark.requirement("E2", "G6")
def test_an_assignment_cancelled_without_a_reason_keeps_the_change_open(plant, sop014):
    from qualify.training.models import Assignment, AssignmentStatus

    document, _rev5, requirement = sop014
    [operator] = plant.operator_crew(1)
    plant.matrix(requirement)
    plant.complete(operator, requirement)
    cc = raise_cc(plant, document)
    cc = services.change_control_approve(
        actor=plant.qa, change_control=cc, credentials=creds(plant.qa)
    )
    rev6 = plant.revise(document, "6")
    services.change_control_link_revision(
        actor=plant.doc_controller, change_control=cc, version=rev6
    )
    plant.approve(rev6, exception="Urgent safety change", effective_from=timezone.now())
    assignment = plant.open_assignment(operator, requirement)
    # The services always give a reason; a row cancelled without one (imported, or
    # edited behind the application's back) must still hold the change open.
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.CANCELLED)
    [item] = queries.change_control_open_items(cc)
    assert item == (
        f"{operator.full_name} ({operator.employee_number}): "
        "training SOP-014-RU (rev 6) was cancelled without a reason"
    )
    Assignment.objects.filter(pk=assignment.pk).update(cancel_reason="Operator moved to QC")
    assert queries.change_control_open_items(cc) == []
