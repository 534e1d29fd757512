"""CAPA with root cause training: retraining a job function, verified by an
assessment (G5, E2, E3, E4)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.audit.context import audit_context
from qualify.audit.models import AuditEvent
from qualify.quality import queries, services
from qualify.quality.models import ActionStatus, CapaStatus
from qualify.training.models import Evidence, Method, TrainingRecord
from tests.quality.plant import creds
from tests.quality.support import nothing_written, only_refusal_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz(plant):
    return plant.requirement(
        "SOP-014-QUIZ",
        method=Method.ELEARNING,
        evidence_required=Evidence.ASSESSMENT,
        pass_mark=80,
    )


def raise_capa(plant, number="CAPA-2026-007"):
    return services.capa_create(
        actor=plant.qa,
        number=number,
        source="audit_finding",
        source_reference="AUD-2026-04",
        problem_statement="Operators skip the second-person line clearance check.",
        root_cause_category="training",
        root_cause="The check was never trained.",
    )


def retrain(plant, capa, requirement, **kw):
    options = {"job_functions": [plant.operators], "effectiveness_check": "assessment"}
    options.update(kw)
    return services.capa_action_add(
        actor=plant.qa,
        capa=capa,
        kind="training",
        description="Retrain operators on line clearance; assessment 80%.",
        owner=plant.qa,
        due_at=timezone.now() + dt.timedelta(days=14),
        requirement=requirement,
        **options,
    )


@pytest.mark.requirement("G5", "E2", "E3", "E4")
def test_capa_closes_only_after_the_last_operator_passes_the_assessment(plant, quiz):
    crew = plant.operator_crew(5)
    capa = raise_capa(plant)
    action = retrain(plant, capa, quiz)
    capa.refresh_from_db()
    assert capa.qa_review_required  # E4: retraining is the only action
    assert {row["person"] for row in queries.training_picture(capa)} == {p.full_name for p in crew}
    services.capa_qa_review(
        actor=plant.qa,
        capa=capa,
        credentials=creds(plant.qa),
        comment="Training gap confirmed; the assessment verifies the correction.",
    )

    for operator in crew[:4]:
        plant.complete(operator, quiz, score=90)
    plant.complete(crew[4], quiz, score=60)  # failed: the assignment stays open
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN
    with (
        pytest.raises(services.QualityRefused) as refused,
        only_refusal_recorded("quality.capa.close_refused"),
    ):
        services.capa_close(actor=plant.qa, capa=capa, credentials=creds(plant.qa))
    [item] = refused.value.items
    assert crew[4].full_name in item
    assert "SOP-014-QUIZ not completed" in item

    plant.complete(crew[4], quiz, score=85)
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETE  # E3: nobody touched the CAPA
    capa = services.capa_close(actor=plant.qa, capa=capa, credentials=creds(plant.qa))
    assert capa.status == CapaStatus.CLOSED


@pytest.mark.requirement("A5", "E2")
def test_an_early_closure_is_audited_with_actor_what_and_the_open_items(plant, quiz):
    [operator] = plant.operator_crew(1)
    capa = raise_capa(plant)
    retrain(plant, capa, quiz)
    with pytest.raises(services.QualityRefused) as refused:
        services.capa_close(actor=plant.qa, capa=capa, credentials=creds(plant.qa))
    event = AuditEvent.objects.get(action="quality.capa.close_refused")
    assert event.actor_username == plant.qa.username
    assert (event.object_type, event.object_id) == ("quality.capa", str(capa.pk))
    detail = event.data["detail"]
    items = refused.value.items
    assert detail["why"] == f"CAPA-2026-007 cannot close: {len(items)} item(s) open."
    assert detail["open_items"] == items
    assert any(operator.full_name in item for item in items)


@pytest.mark.requirement("E3")
def test_the_action_changes_in_the_transaction_of_the_last_record(plant, quiz, monkeypatch):
    [operator] = plant.operator_crew(1)
    action = retrain(plant, raise_capa(plant), quiz)
    with audit_context(source="web") as ctx:
        plant.complete(operator, quiz, score=100)
    actions = list(
        AuditEvent.objects.filter(request_id=ctx.request_id).values_list("action", flat=True)
    )
    assert "training.record.created" in actions
    assert actions[-2:] == [
        "quality.capa_action.training_completed",
        "quality.capa_action.completed",
    ]
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETE


@pytest.mark.requirement("E3")
def test_a_failure_moving_the_action_rolls_the_record_back(plant, quiz, monkeypatch):
    from qualify.quality.services import capa_actions

    [operator] = plant.operator_crew(1)
    retrain(plant, raise_capa(plant), quiz)

    def broken(**kwargs):
        raise RuntimeError("quality layer down")

    monkeypatch.setattr(capa_actions, "action_evaluate", broken)
    with pytest.raises(RuntimeError):
        plant.complete(operator, quiz, score=100)
    assert not TrainingRecord.objects.filter(person=operator).exists()


@pytest.mark.requirement("E4")
def test_a_corrective_action_beside_retraining_lifts_the_qa_review_flag(plant, quiz):
    plant.operator_crew(1)
    capa = raise_capa(plant)
    retrain(plant, capa, quiz)
    services.capa_action_add(
        actor=plant.qa,
        capa=capa,
        kind="corrective",
        description="Add a clearance checklist",
        owner=plant.qa,
        due_at=timezone.now() + dt.timedelta(days=30),
    )
    capa.refresh_from_db()
    assert not capa.qa_review_required


@pytest.mark.requirement("E2")
def test_effectiveness_review_on_a_later_date(plant, quiz, time_machine):
    [operator] = plant.operator_crew(1)
    capa = raise_capa(plant)
    review_on = timezone.now() + dt.timedelta(days=60)
    action = retrain(plant, capa, quiz, effectiveness_check="review", review_on=review_on)
    plant.complete(operator, quiz, score=95)
    action.refresh_from_db()
    assert action.status == ActionStatus.AWAITING_VERIFICATION
    with pytest.raises(ValidationError, match="due on"), nothing_written():
        services.capa_action_review(
            actor=plant.qa, action=action, effective=True, comment="ok", credentials=creds(plant.qa)
        )
    time_machine.move_to(review_on + dt.timedelta(hours=1), tick=False)
    services.capa_action_review(
        actor=plant.qa,
        action=action,
        effective=True,
        comment="No recurrence in 60 days of batch records.",
        credentials=creds(plant.qa),
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETE


@pytest.mark.requirement("G5")
def test_a_training_action_for_a_person_who_has_left_is_refused(plant, quiz):
    from qualify.org.services import person_deactivate

    [operator] = plant.operator_crew(1)
    operator = person_deactivate(actor=plant.coordinator, person=operator, reason="Resigned")
    capa = raise_capa(plant)
    with pytest.raises(ValidationError, match="has left"), nothing_written():
        retrain(plant, capa, quiz, job_functions=[], people=[operator])


def test_an_assessment_check_needs_a_requirement_with_an_assessment(plant):
    document = plant.document("SOP-014")
    read = plant.requirement("SOP-014-RU", document=document)
    plant.operator_crew(1)
    capa = raise_capa(plant)
    with pytest.raises(ValidationError, match="no assessment"), nothing_written():
        retrain(plant, capa, read)
