"""The gate judges work at the instant it was performed, as known then (E5, T1, Q7);
on every document it names (Q4, E1); never for a person who had left (Q9); and a
refusal is on the record although the work is not (A5)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.org import services as org
from qualify.quality import queries, services
from qualify.quality.models import Deviation, Execution
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
    return document, requirement, aoife, brian


def perform(person, documents, batch="B-2026-0815", **kw):
    return services.execution_record(
        actor=person.user,
        person=person,
        batch=batch,
        documents=documents,
        step="Line clearance",
        **kw,
    )


def ten_oclock_tomorrow() -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )


def trained_four_seconds_after_the_step(plant, time_machine):
    """Brian performs the step at 10:00:00 and signs the training at 10:00:04."""
    document, requirement, _, brian = line(plant)
    ten = ten_oclock_tomorrow()
    time_machine.move_to(ten + dt.timedelta(seconds=4), tick=False)
    plant.complete(brian, requirement)
    return document, brian, ten


def refusals():
    return list(AuditEvent.objects.filter(action="quality.execution.refused").order_by("seq"))


# --- E5: the instant performed, not the instant reported ------------------------------


@pytest.mark.requirement("E5", "T1", "Q7")
def test_training_signed_between_the_step_and_its_report_does_not_count_refuse(plant, time_machine):
    document, brian, ten = trained_four_seconds_after_the_step(plant, time_machine)
    time_machine.move_to(ten + dt.timedelta(seconds=5), tick=False)
    with (
        pytest.raises(services.GateRefused, match="was not qualified") as refused,
        only_refusal_recorded("quality.execution.refused"),
    ):
        perform(brian, [document], claimed_at=ten)
    assert refused.value.items == ["SOP-014: never trained"]
    # The same report without an attested time is judged at its arrival (10:00:05),
    # after the training: qualified. The attested time is what decided.
    assert perform(brian, [document]).qualified


@pytest.mark.requirement("E5", "T1", "Q7", "E1")
def test_training_signed_between_the_step_and_its_report_does_not_count_deviation(
    plant_factory, time_machine
):
    plant = plant_factory(gate_policy="deviation")
    document, brian, ten = trained_four_seconds_after_the_step(plant, time_machine)
    time_machine.move_to(ten + dt.timedelta(seconds=5), tick=False)
    execution = perform(brian, [document], claimed_at=ten)
    assert not execution.qualified
    assert execution.claimed_at == ten
    assert execution.performed_at == ten + dt.timedelta(seconds=5)  # server's arrival
    assert not execution.late_entry  # 5 seconds is within the site's 72 hours
    assert execution.gate_answer["at"] == ten.replace(tzinfo=None).isoformat() + "Z"
    assert execution.gate_answer["as_known_at"] == execution.gate_answer["at"]
    [deviation] = Deviation.objects.filter(execution=execution)
    assert deviation.occurred_at == ten
    [row] = queries.batch_record("B-2026-0815")
    assert row["performed_at"] == ten
    assert row["recorded_at"] == ten + dt.timedelta(seconds=5)
    assert row["qualified_as_known_then"] is False
    assert row["qualified_known_now"] is False  # completed after 10:00:00 either way


@pytest.mark.requirement("E5", "T1")
def test_a_report_later_than_the_site_limit_is_flagged_late_and_judged_at_the_step(
    plant_factory, time_machine
):
    plant = plant_factory(gate_policy="deviation")
    document, brian, ten = trained_four_seconds_after_the_step(plant, time_machine)
    time_machine.move_to(ten + dt.timedelta(days=4), tick=False)  # site limit: 72 hours
    execution = perform(brian, [document], claimed_at=ten)
    assert execution.late_entry
    assert not execution.qualified


@pytest.mark.requirement("E5", "T1")
def test_an_attested_time_in_the_future_beyond_the_clock_skew_is_refused(
    plant, settings, time_machine
):
    settings.QUALIFY_CLOCK_SKEW_SECONDS = 60
    document, _, aoife, _ = line(plant)
    time_machine.move_to(timezone.now() + dt.timedelta(hours=1), tick=False)
    with pytest.raises(ValidationError, match="is in the future") as refused, nothing_written():
        perform(aoife, [document], claimed_at=timezone.now() + dt.timedelta(seconds=61))
    assert "work cannot be reported before it is done" in refused.value.messages[0]
    # Within the allowance, a clock a little ahead is accepted.
    assert perform(aoife, [document], claimed_at=timezone.now() + dt.timedelta(seconds=30))


@pytest.mark.requirement("E5")
def test_an_attested_time_before_the_employment_began_is_refused(plant):
    document, requirement, _, _ = line(plant)
    hired = timezone.now() - dt.timedelta(hours=2)
    newcomer = plant.person("New Starter", job_function=plant.operators, employed_from=hired)
    plant.complete(newcomer, requirement)
    with pytest.raises(ValidationError, match="was employed only from") as refused:
        perform(newcomer, [document], claimed_at=hired - dt.timedelta(minutes=1))
    assert "New Starter" in refused.value.messages[0]
    assert Execution.objects.count() == 0


@pytest.mark.requirement("E5", "Q9")
def test_an_attested_time_after_the_person_left_is_refused(plant, time_machine):
    document, _, aoife, _ = line(plant)
    time_machine.move_to(timezone.now() + dt.timedelta(hours=3), tick=False)
    left = timezone.now() - dt.timedelta(hours=1)
    org.person_deactivate(actor=plant.coordinator, person=aoife, reason="Resigned", left_at=left)
    with pytest.raises(ValidationError, match="left at"), nothing_written():
        perform(aoife, [document], claimed_at=left + dt.timedelta(minutes=5))
    with pytest.raises(ValidationError, match="left at"), nothing_written():
        perform(aoife, [document])  # now, at the server's time
    # Work attested before the (late-reported) leaving is judged as usual.
    assert perform(aoife, [document], claimed_at=left - dt.timedelta(minutes=5)).qualified


# --- Q4, E1: every document of the work --------------------------------------------


def two_documents(plant):
    """Brian is not trained on SOP-014 (listed first) but is on SOP-020 (listed last)."""
    document, _, _, brian = line(plant)
    second = plant.document("SOP-020", "Batch documentation")
    plant.approve(plant.revise(second, "1"))
    requirement = plant.requirement("SOP-020-RU", document=second)
    plant.matrix(requirement)
    plant.complete(brian, requirement)
    return document, second, brian


@pytest.mark.requirement("Q4", "E1")
def test_work_under_two_documents_is_refused_when_only_the_first_is_unqualified(plant):
    first, second, brian = two_documents(plant)
    gate = queries.gate_check(brian, [first, second])
    assert [d.qualified for d in gate.documents] == [False, True]
    assert not gate.qualified
    with (
        pytest.raises(services.GateRefused) as refused,
        only_refusal_recorded("quality.execution.refused"),
    ):
        perform(brian, [first, second])
    assert refused.value.items == ["SOP-014: never trained"]


@pytest.mark.requirement("Q4", "E1")
def test_work_under_two_documents_opens_a_deviation_when_only_the_first_is_unqualified(
    plant_factory,
):
    plant = plant_factory(gate_policy="deviation")
    first, second, brian = two_documents(plant)
    execution = perform(brian, [first, second])
    assert not execution.qualified
    assert [line.document.number for line in execution.lines.all()] == ["SOP-014", "SOP-020"]
    [deviation] = Deviation.objects.filter(execution=execution)
    assert "SOP-014: never trained" in deviation.description


# --- Q9: a person who had left -------------------------------------------------------


@pytest.mark.requirement("Q9", "E1", "Q7")
def test_the_gate_never_waves_through_a_person_who_had_left(plant, time_machine):
    document, _, aoife, _ = line(plant)
    time_machine.move_to(timezone.now() + dt.timedelta(hours=3), tick=False)
    left = timezone.now() - dt.timedelta(hours=2)  # HR reports it two hours late
    aoife = org.person_deactivate(
        actor=plant.coordinator, person=aoife, reason="Resigned", left_at=left
    )
    after = left + dt.timedelta(minutes=30)
    gate = queries.gate_check(aoife, [document], at=after, as_known_at=None)
    assert not gate.qualified
    assert gate.reasons == ["SOP-014: the person had left by then"]
    # Before the leaving, qualified; and as the system knew it before the leaving was
    # recorded, qualified too (Q7: the gate then could not know).
    assert queries.gate_check(aoife, [document], at=left - dt.timedelta(minutes=1)).qualified
    assert queries.gate_check(aoife, [document], at=after, as_known_at=after).qualified
    with pytest.raises(services.GateRefused) as refused:
        services.require_qualified_signer(signer=aoife.user, procedure=document, meaning="verified")
    assert refused.value.items == ["SOP-014: the person had left by then"]


# --- A5: a refusal is on the record ---------------------------------------------------


@pytest.mark.requirement("A5", "E1")
def test_a_gate_refusal_is_audited_with_actor_time_person_documents_and_reasons(plant):
    document, _, _, brian = line(plant)
    before = timezone.now()
    with pytest.raises(services.GateRefused):
        perform(brian, [document])
    [event] = refusals()
    data = event.data
    assert event.actor_id == brian.user.pk
    assert event.recorded_at >= before
    assert (event.object_type, event.object_id) == ("org.person", str(brian.pk))
    assert data["detail"]["documents"] == ["SOP-014"]
    assert data["detail"]["reasons"] == ["SOP-014: never trained"]
    assert data["detail"]["batch"] == "B-2026-0815"
    assert "Brian Untrained" in data["detail"]["why"]
    assert Execution.objects.count() == 0


# --- T3: the batch page ---------------------------------------------------------------


@pytest.mark.requirement("E5", "T3", "T1")
def test_the_batch_page_shows_when_work_was_performed_and_recorded_in_the_site_zone(
    plant_factory, client, time_machine
):
    from django.urls import reverse

    from qualify.org.models import Site

    plant = plant_factory(gate_policy="deviation")
    Site.objects.filter(pk=plant.site.pk).update(time_zone="Europe/Dublin")
    document, brian, ten = trained_four_seconds_after_the_step(plant, time_machine)
    time_machine.move_to(ten + dt.timedelta(days=4, minutes=7), tick=False)
    perform(brian, [document], claimed_at=ten)
    client.force_login(plant.qa)
    page = client.get(reverse("web:quality_batch", args=["B-2026-0815"])).content.decode()
    local = ten.astimezone(ZoneInfo("Europe/Dublin"))
    recorded = (ten + dt.timedelta(days=4, minutes=7)).astimezone(ZoneInfo("Europe/Dublin"))
    assert f"{local:%Y-%m-%d %H:%M} (Europe/Dublin, {local.tzname()})" in page
    assert f"{recorded:%Y-%m-%d %H:%M} (Europe/Dublin, {recorded.tzname()})" in page
    assert ">Performed<" in page
    assert ">Recorded<" in page
    assert "late entry" in page


@pytest.mark.requirement("E5", "Q7", "E1")
def test_training_attested_before_the_step_but_entered_after_it_does_not_count(plant, time_machine):
    """A certificate dated 09:00 that reached the system at 10:00:03 was unknown when the
    step was performed at 10:00:00: as known then, the operator was not qualified, even
    though the report arrives at 10:00:05, after the entry."""
    from django.core.files.base import ContentFile

    from qualify.training import services as training
    from qualify.training.models import Method
    from tests.quality.plant import creds

    document = plant.document("SOP-021", "Sterile gowning")
    plant.approve(plant.revise(document, "2"))
    requirement = plant.requirement("SOP-021-EXT", document=document, method=Method.EXTERNAL)
    brian = plant.person("Brian Untrained", job_function=plant.operators)
    ten = ten_oclock_tomorrow()
    time_machine.move_to(ten + dt.timedelta(seconds=3), tick=False)
    training.record_external(
        actor=brian.user,
        person=brian,
        requirement=requirement,
        completed_at=ten - dt.timedelta(hours=1),
        evidence_file=ContentFile(b"Gowning certificate", name="gowning.txt"),
        credentials=creds(brian.user),
    )
    time_machine.move_to(ten + dt.timedelta(seconds=5), tick=False)
    with pytest.raises(services.GateRefused):
        perform(brian, [document], claimed_at=ten)
    # The gate asked about 10:00 answers as known at 10:00 unless told otherwise (Q7)...
    assert not queries.gate_check(brian, [document], at=ten).qualified
    # ...and known now, the same instant is covered: the as-known-at time is what decided.
    assert queries.gate_check(brian, [document], at=ten, as_known_at=timezone.now()).qualified
