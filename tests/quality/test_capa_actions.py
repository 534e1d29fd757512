"""CAPA actions beyond the assessment scenario: a trainer's observation as the check
of effectiveness, cancelling an action, completing a corrective action; and a
deviation that cannot close while a CAPA raised from it is open (G5, G6, E2, E3)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.quality import queries, services
from qualify.quality.models import ActionStatus, CapaStatus, DeviationStatus
from qualify.signatures.services import SignatureRefused, signatures_of
from qualify.training.models import Assignment, AssignmentStatus, Method
from tests.quality.plant import creds
from tests.quality.support import nothing_written, only_refusal_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def sop(plant):
    document = plant.document("SOP-014", "Line clearance")
    plant.approve(plant.revise(document, "5"))
    return plant.requirement("SOP-014-RU", document=document)


@pytest.fixture
def observed(plant, trainer):
    """A qualified trainer (external train-the-trainer certificate) and an on-the-job
    observation of line clearance they may sign."""
    person, ttt = plant.qualified_trainer(trainer)
    ojt = plant.requirement(
        "LC-OJT", method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Second check"
    )
    return person, ojt


def raise_capa(plant, number="CAPA-2026-011", **kw):
    options = {
        "source": "audit_finding",
        "problem_statement": "Line clearance done by one person.",
        "root_cause_category": "training",
    }
    options.update(kw)
    return services.capa_create(actor=plant.qa, number=number, **options)


def action(plant, capa, kind="training", **kw):
    return services.capa_action_add(
        actor=plant.qa,
        capa=capa,
        kind=kind,
        description=f"{kind} action",
        owner=plant.qa,
        due_at=timezone.now() + dt.timedelta(days=14),
        **kw,
    )


@pytest.mark.requirement("E2", "E3", "G5")
def test_an_observation_check_completes_the_action_when_the_trainer_signs(plant, sop, observed):
    trainer, ojt = observed
    operator = plant.person("Sean Operator")
    capa = raise_capa(plant)
    act = action(
        plant,
        capa,
        requirement=sop,
        people=[operator],
        effectiveness_check="observation",
        effectiveness_requirement=ojt,
    )
    assert Assignment.objects.filter(source=act.source_key, requirement=ojt).exists()

    plant.complete(operator, sop)
    act.refresh_from_db()
    assert act.status == ActionStatus.AWAITING_VERIFICATION
    [item] = [i for i in queries.capa_open_items(capa) if "observation" in i]
    assert "Sean Operator" in item
    assert "no trainer's observation signed on LC-OJT yet" in item

    plant.observe(operator, ojt, trainer)
    act.refresh_from_db()
    assert act.status == ActionStatus.COMPLETE  # E3: in the transaction of the signature
    assert not [i for i in queries.capa_open_items(capa) if "Action" in i]


def test_an_observation_check_needs_an_on_the_job_requirement(plant, sop):
    operator = plant.person("Sean Operator")
    capa = raise_capa(plant)
    with pytest.raises(ValidationError, match="not an on-the-job"), nothing_written():
        action(plant, capa, requirement=sop, people=[operator], effectiveness_check="observation")


@pytest.mark.requirement("G6", "E4")
def test_cancelling_an_action_cancels_its_open_training_with_the_reason(plant, sop):
    done, pending = plant.person("Ann Done"), plant.person("Bob Pending")
    capa = raise_capa(plant)
    act = action(plant, capa, requirement=sop, people=[done, pending])
    plant.complete(done, sop)
    capa.refresh_from_db()
    assert capa.qa_review_required

    with pytest.raises(ValidationError, match="Say why"), nothing_written():
        services.capa_action_cancel(actor=plant.qa, action=act, reason="  ")
    act = services.capa_action_cancel(
        actor=plant.qa, action=act, reason="Root cause was the procedure, not training"
    )
    assert act.status == ActionStatus.CANCELLED
    cancelled = Assignment.objects.get(person=pending, source=act.source_key)
    assert cancelled.status == AssignmentStatus.CANCELLED
    assert cancelled.cancel_reason == (
        "CAPA-2026-011 action cancelled: Root cause was the procedure, not training"
    )
    completed = Assignment.objects.get(person=done, source=act.source_key)
    assert completed.status == AssignmentStatus.COMPLETED  # nothing done is undone
    capa.refresh_from_db()
    assert not capa.qa_review_required  # E4: no retraining-only action is left
    assert AuditEvent.objects.filter(
        action="quality.capa_action.cancelled", object_id=str(act.pk)
    ).exists()
    with pytest.raises(ValidationError, match="already cancelled"), nothing_written():
        services.capa_action_cancel(actor=plant.qa, action=act, reason="again")


@pytest.mark.requirement("E2", "S1")
def test_a_corrective_action_is_completed_by_a_signed_verification(plant, sop):
    capa = raise_capa(plant, root_cause_category="procedure")
    act = action(plant, capa, kind="corrective")
    with (
        pytest.raises(services.QualityRefused) as refused,
        only_refusal_recorded("quality.capa.close_refused"),
    ):
        services.capa_close(actor=plant.qa, capa=capa, credentials=creds(plant.qa))
    [item] = refused.value.items
    assert "is not complete" in item

    with pytest.raises(SignatureRefused):
        services.capa_action_complete(
            actor=plant.qa,
            action=act,
            credentials=creds(plant.qa).__class__(username=plant.qa.username, password="wrong"),
            comment="Checklist issued",
        )
    act.refresh_from_db()
    assert act.status == ActionStatus.OPEN

    act = services.capa_action_complete(
        actor=plant.qa, action=act, credentials=creds(plant.qa), comment="Checklist issued"
    )
    assert act.status == ActionStatus.COMPLETE
    [signature] = signatures_of(act)
    assert signature.meaning == "verified"
    with pytest.raises(ValidationError, match="already complete"):
        services.capa_action_complete(
            actor=plant.qa, action=act, credentials=creds(plant.qa), comment="again"
        )
    capa = services.capa_close(actor=plant.qa, capa=capa, credentials=creds(plant.qa))
    assert capa.status == CapaStatus.CLOSED


def test_a_training_action_cannot_be_completed_by_hand(plant, sop):
    operator = plant.person("Sean Operator")
    act = action(plant, raise_capa(plant), requirement=sop, people=[operator])
    with pytest.raises(ValidationError, match="completes itself"), nothing_written():
        services.capa_action_complete(
            actor=plant.qa, action=act, credentials=creds(plant.qa), comment="done"
        )


@pytest.mark.requirement("E2")
def test_a_deviation_cannot_close_while_a_capa_raised_from_it_is_open(plant, sop, employee):
    deviation = services.deviation_create(
        actor=employee,
        number="DEV-2026-0150",
        site=plant.site,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        description="Line clearance by one person.",
        documents=[sop.document],
    )
    capa = raise_capa(
        plant, source="deviation", deviation=deviation, root_cause_category="procedure"
    )
    act = action(plant, capa, kind="corrective")
    with (
        pytest.raises(services.QualityRefused) as refused,
        only_refusal_recorded("quality.deviation.close_refused"),
    ):
        services.deviation_close(actor=plant.qa, deviation=deviation, credentials=creds(plant.qa))
    assert refused.value.items == ["CAPA-2026-011 raised from DEV-2026-0150 is not closed"]

    services.capa_action_complete(
        actor=plant.qa, action=act, credentials=creds(plant.qa), comment="Second check added"
    )
    services.capa_close(actor=plant.qa, capa=capa, credentials=creds(plant.qa))
    deviation = services.deviation_close(
        actor=plant.qa, deviation=deviation, credentials=creds(plant.qa)
    )
    assert deviation.status == DeviationStatus.CLOSED
