"""Deviations: the qualification snapshot at the moment it occurred (Q4, Q7) and
requalification orders (G5)."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from qualify.quality import queries, services
from qualify.quality.models import DeviationSnapshot, DeviationStatus
from qualify.training import engine
from tests.quality.plant import creds
from tests.quality.support import nothing_written, only_refusal_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def morning(plant, time_machine):
    """Operator Niamh signed SOP-014 rev 5; rev 6 takes effect today at 09:00."""
    document = plant.document("SOP-014", "Line clearance")
    plant.approve(plant.revise(document, "5"))
    requirement = plant.requirement("SOP-014-RU", document=document)
    niamh = plant.person("Niamh Operator", job_function=plant.operators)
    plant.matrix(requirement)
    plant.complete(niamh, requirement)
    today = (timezone.now() + dt.timedelta(days=2)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    time_machine.move_to(today, tick=False)
    nine = today.replace(hour=9)
    rev6 = plant.approve(
        plant.revise(document, "6"), effective_from=nine, exception="Safety: immediate"
    )
    return document, requirement, niamh, rev6, nine


def report(plant, actor, *, occurred_at, people, documents, number="DEV-2026-0142"):
    return services.deviation_create(
        actor=actor,
        number=number,
        site=plant.site,
        occurred_at=occurred_at,
        description="Line clearance of filling line 2 done by one person only.",
        batch="B-2026-0815",
        people=people,
        documents=documents,
    )


@pytest.mark.requirement("Q4", "Q7")
def test_snapshot_says_not_qualified_trained_on_a_superseded_baseline(
    plant, morning, time_machine, employee
):
    document, _requirement, niamh, _rev6, nine = morning
    time_machine.move_to(nine.replace(hour=15), tick=False)
    occurred = nine.replace(hour=14, minute=5)

    deviation = report(plant, employee, occurred_at=occurred, people=[niamh], documents=[document])

    [snap] = deviation.snapshot.all()
    assert not snap.qualified_known_now
    assert not snap.qualified_as_known_then
    assert snap.answer["known_now"]["reasons"] == ["trained on a superseded baseline"]
    assert snap.answer["as_known_then"]["reasons"] == ["trained on a superseded baseline"]
    [req] = snap.answer["known_now"]["answer"]["requirements"]
    assert req["version"]["label"] == "SOP-014 rev 5"
    assert req["effective_version"]["label"] == "SOP-014 rev 6"
    assert snap.answer["at"].startswith(occurred.strftime("%Y-%m-%dT14:05"))


@pytest.mark.requirement("Q7")
def test_the_snapshot_stays_as_recorded_when_later_data_changes(
    plant, morning, time_machine, employee
):
    document, requirement, niamh, _rev6, nine = morning
    time_machine.move_to(nine.replace(hour=15), tick=False)
    deviation = report(
        plant,
        employee,
        occurred_at=nine.replace(hour=14, minute=5),
        people=[niamh],
        documents=[document],
    )
    plant.complete(niamh, requirement)  # she signs rev 6 afterwards
    [snap] = deviation.snapshot.all()
    assert not snap.qualified_known_now
    with pytest.raises(DatabaseError), transaction.atomic():
        DeviationSnapshot.objects.filter(pk=snap.pk).update(qualified_known_now=True)
    assert not DeviationSnapshot.objects.get(pk=snap.pk).qualified_known_now


@pytest.mark.requirement("Q4", "Q7")
def test_an_operator_who_signed_rev_6_at_10_is_qualified_at_14_05(
    plant, morning, time_machine, employee
):
    document, requirement, niamh, _rev6, nine = morning
    time_machine.move_to(nine.replace(hour=10), tick=False)
    plant.complete(niamh, requirement)
    time_machine.move_to(nine.replace(hour=15), tick=False)
    deviation = report(
        plant,
        employee,
        occurred_at=nine.replace(hour=14, minute=5),
        people=[niamh],
        documents=[document],
    )
    [snap] = deviation.snapshot.all()
    assert snap.qualified_known_now
    assert snap.qualified_as_known_then


@pytest.mark.requirement("T1")
def test_a_deviation_dated_in_the_future_is_refused(plant, employee):
    document = plant.document("SOP-014")
    with pytest.raises(ValidationError, match="in the future"), nothing_written():
        report(
            plant,
            employee,
            occurred_at=timezone.now() + dt.timedelta(hours=1),
            people=[],
            documents=[document],
        )


@pytest.mark.requirement("G5", "Q4", "E2")
def test_requalification_revokes_until_completed_and_holds_the_deviation_open(
    plant, morning, time_machine, employee, django_capture_on_commit_callbacks
):
    document, requirement, niamh, _rev6, nine = morning
    time_machine.move_to(nine.replace(hour=10), tick=False)
    plant.complete(niamh, requirement)
    time_machine.move_to(nine.replace(hour=15), tick=False)
    deviation = report(
        plant,
        employee,
        occurred_at=nine.replace(hour=14, minute=5),
        people=[niamh],
        documents=[document],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.deviation_order_requalification(
            actor=plant.qa,
            deviation=deviation,
            person=niamh,
            requirement=requirement,
            reason="Skipped the second-person check",
        )
    time_machine.move_to(nine.replace(hour=15, minute=1), tick=False)
    assert not engine.is_qualified(niamh, requirement, at=timezone.now())
    assert [m.subject for m in mail.outbox] == [
        f"Requalification ordered: SOP-014-RU ({deviation.number})"
    ]

    with (
        pytest.raises(services.QualityRefused, match="1 item"),
        only_refusal_recorded("quality.deviation.close_refused"),
    ):
        services.deviation_close(actor=plant.qa, deviation=deviation, credentials=creds(plant.qa))
    [row] = queries.training_picture(deviation)
    assert row["status"] == "Open"

    plant.complete(niamh, requirement)
    time_machine.move_to(nine.replace(hour=15, minute=2), tick=False)
    assert engine.is_qualified(niamh, requirement, at=timezone.now())
    deviation = services.deviation_close(
        actor=plant.qa, deviation=deviation, credentials=creds(plant.qa)
    )
    assert deviation.status == DeviationStatus.CLOSED


def test_requalification_of_a_person_who_left_is_refused(plant, morning, employee):
    from qualify.org.services import person_deactivate

    document, requirement, niamh, _rev6, _nine = morning
    deviation = report(
        plant, employee, occurred_at=timezone.now(), people=[niamh], documents=[document]
    )
    niamh = person_deactivate(actor=plant.coordinator, person=niamh, reason="Left the company")
    with pytest.raises(ValidationError, match="has left"), nothing_written():
        services.deviation_order_requalification(
            actor=plant.qa,
            deviation=deviation,
            person=niamh,
            requirement=requirement,
            reason="Retrain",
        )
