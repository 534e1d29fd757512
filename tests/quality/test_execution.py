"""Executions and the batch gate (E1, T1): the record QA checks before release."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.documents.services import document_obsolete
from qualify.quality import queries, services
from qualify.quality.models import Deviation, Execution
from tests.quality.plant import creds
from tests.quality.support import nothing_written, only_refusal_recorded

pytestmark = pytest.mark.django_db


def line(plant):
    """SOP-014 rev 5 in force; Aoife is trained on it, Brian is not."""
    document = plant.document("SOP-014", "Line clearance")
    plant.approve(plant.revise(document, "5"))
    requirement = plant.requirement("SOP-014-RU", document=document)
    aoife = plant.person("Aoife Trained", job_function=plant.operators)
    brian = plant.person("Brian Untrained", job_function=plant.operators)
    plant.matrix(requirement)
    plant.complete(aoife, requirement)
    return document, aoife, brian


def perform(person, document, batch="B-2026-0815", **kw):
    return services.execution_record(
        actor=person.user,
        person=person,
        batch=batch,
        documents=[document],
        step="Line clearance",
        **kw,
    )


@pytest.mark.requirement("E1", "T1")
def test_a_qualified_operator_performs_and_the_integrations_time_is_kept_beside(
    plant, time_machine
):
    document, aoife, _ = line(plant)
    gate = queries.gate_check(aoife, [document])
    assert gate.qualified
    assert gate.reasons == []
    time_machine.move_to(timezone.now() + dt.timedelta(hours=1), tick=False)
    claimed = timezone.now() - dt.timedelta(minutes=3)
    execution = perform(aoife, document, claimed_at=claimed)
    assert execution.qualified
    assert execution.claimed_at == claimed
    assert execution.performed_at > claimed
    assert not execution.late_entry
    assert [str(line.version) for line in execution.lines.all()] == ["SOP-014 rev 5"]


@pytest.mark.requirement("E1")
def test_the_gate_refuses_an_untrained_operator_and_nothing_is_written(plant):
    document, _, brian = line(plant)
    gate = queries.gate_check(brian, [document])
    assert not gate.qualified
    assert gate.reasons == ["SOP-014: never trained"]
    with (
        pytest.raises(services.GateRefused) as refused,
        only_refusal_recorded("quality.execution.refused"),
    ):
        perform(brian, document)
    assert refused.value.items == ["SOP-014: never trained"]


@pytest.mark.requirement("E1", "Q7")
def test_under_the_deviation_policy_the_work_is_recorded_and_a_deviation_opened(
    plant_factory,
):
    plant = plant_factory(gate_policy="deviation")
    document, _, brian = line(plant)
    execution = perform(brian, document)
    assert not execution.qualified
    [deviation] = Deviation.objects.filter(execution=execution)
    assert deviation.automatic
    assert deviation.batch == "B-2026-0815"
    assert deviation.occurred_at == execution.performed_at
    [snap] = deviation.snapshot.all()
    assert not snap.qualified_as_known_then
    assert snap.answer["as_known_then"]["reasons"] == ["never trained"]


@pytest.mark.requirement("E1")
def test_work_under_an_obsolete_document_is_refused(plant):
    document, aoife, _ = line(plant)
    document_obsolete(
        actor=plant.qa, document=document, reason="Replaced by SOP-020", credentials=creds(plant.qa)
    )
    with pytest.raises(ValidationError, match="SOP-014 is obsolete"), nothing_written():
        perform(aoife, document)


@pytest.mark.requirement("T1")
def test_a_claimed_time_in_the_future_is_refused(plant):
    document, aoife, _ = line(plant)
    with pytest.raises(ValidationError, match="in the future"), nothing_written():
        perform(aoife, document, claimed_at=timezone.now() + dt.timedelta(minutes=5))


@pytest.mark.requirement("T1")
def test_a_claimed_time_older_than_the_site_delay_is_flagged_late(plant, time_machine):
    document, aoife, _ = line(plant)
    time_machine.move_to(timezone.now() + dt.timedelta(days=4), tick=False)
    execution = perform(aoife, document, claimed_at=timezone.now() - dt.timedelta(hours=80))
    assert execution.qualified
    assert execution.late_entry


@pytest.mark.requirement("E1", "Q7")
def test_the_batch_record_lists_every_execution_with_its_answer(plant_factory):
    plant = plant_factory(gate_policy="deviation")
    document, aoife, brian = line(plant)
    perform(aoife, document)
    perform(brian, document)
    perform(aoife, document, batch="B-OTHER")
    rows = queries.batch_record("B-2026-0815")
    assert [(r["person"], r["qualified_as_known_then"]) for r in rows] == [
        ("Aoife Trained", True),
        ("Brian Untrained", False),
    ]
    assert rows[1]["reasons_then"] == ["SOP-014: never trained"]
    assert rows[1]["deviations"] == [Deviation.objects.get().number]
    assert [r["qualified_known_now"] for r in rows] == [True, False]
    assert Execution.objects.count() == 3


@pytest.mark.requirement("E1", "Q4", "Q7")
def test_a_signature_bound_to_a_procedure_checks_the_signer_on_the_version_in_force(
    plant, time_machine
):
    document, aoife, brian = line(plant)
    answer = services.require_qualified_signer(
        signer=aoife.user, procedure=document, meaning="verified"
    )
    assert answer.qualified
    assert answer.documents[0].version.revision == "5"
    with pytest.raises(services.GateRefused) as refused:
        services.require_qualified_signer(signer=brian.user, procedure=document, meaning="verified")
    assert refused.value.items == ["SOP-014: never trained"]

    nine = timezone.now() + dt.timedelta(hours=1)
    plant.approve(plant.revise(document, "6"), effective_from=nine, exception="Immediate")
    before = nine - dt.timedelta(minutes=1)
    assert services.require_qualified_signer(
        signer=aoife.user, procedure=document, meaning="verified", at=before
    ).qualified  # rev 5 is still in force then
    time_machine.move_to(nine + dt.timedelta(minutes=5), tick=False)
    with pytest.raises(services.GateRefused) as refused:
        services.require_qualified_signer(signer=aoife.user, procedure=document, meaning="verified")
    assert refused.value.items == ["SOP-014: trained on a superseded baseline"]


@pytest.mark.requirement("E1")
def test_an_account_with_no_person_cannot_sign_under_a_procedure(plant):
    document, _, _ = line(plant)
    with pytest.raises(services.GateRefused, match="no person on record"):
        services.require_qualified_signer(signer=plant.qa, procedure=document, meaning="verified")
