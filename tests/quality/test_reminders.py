"""Reminders and escalation: one digest per person per day; lost qualifications at once."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from qualify.quality.tasks import run_reminders, send_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(plant):
    document = plant.document("SOP-014", "Line clearance")
    plant.approve(plant.revise(document, "5"))
    requirement = plant.requirement("SOP-014-RU", document=document)
    boss = plant.person("Orla Director")
    manager = plant.person("Conor Supervisor", manager=boss)
    operator = plant.person("Sean Operator", manager=manager, job_function=plant.operators)
    plant.matrix(requirement, window_days=30)
    return document, requirement, boss, manager, operator


def inbox():
    return {(tuple(m.to), m.subject.split(":")[0]): m.body for m in mail.outbox}


def test_a_new_assignment_is_in_the_next_digest_once_a_day(team):
    *_, operator = team
    mail.outbox.clear()
    assert run_reminders()["digests"] == 1
    [message] = mail.outbox
    assert message.to == [operator.email]
    assert "New training assigned to you" in message.body
    assert "SOP-014-RU" in message.body
    assert run_reminders()["digests"] == 0  # at most one digest per person per day
    assert len(mail.outbox) == 1


def test_due_soon_then_overdue_to_the_manager_then_escalated(team, time_machine):
    _document, _requirement, boss, manager, operator = team
    start = timezone.now()
    time_machine.move_to(start + dt.timedelta(days=25), tick=False)
    mail.outbox.clear()
    run_reminders()
    assert "Due soon" in mail.outbox[0].body
    assert [m.to for m in mail.outbox] == [[operator.email]]

    time_machine.move_to(start + dt.timedelta(days=31), tick=False)
    mail.outbox.clear()
    run_reminders()
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "Overdue" in bodies[operator.email]
    assert "Overdue in your team" in bodies[manager.email]
    assert "Sean Operator: SOP-014-RU" in bodies[manager.email]
    assert boss.email not in bodies

    time_machine.move_to(start + dt.timedelta(days=39), tick=False)
    mail.outbox.clear()
    run_reminders()
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "Escalated" in bodies[boss.email]


@pytest.mark.requirement("G3", "Q4")
def test_a_revision_is_notified_at_once_to_those_qualified_on_the_old_baseline(
    plant, team, time_machine, django_capture_on_commit_callbacks
):
    document, requirement, _boss, manager, operator = team
    plant.complete(operator, requirement)
    # Never trained on rev 5: loses nothing, hears of it in the digest, not here.
    plant.person("Nora Newcomer", manager=manager, job_function=plant.operators)
    rev6 = plant.revise(document, "6")
    effective = timezone.now() + dt.timedelta(days=31)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plant.approve(rev6, effective_from=effective)
    assert mail.outbox == []  # nothing before the commit
    # At the commit, the task that finds the losses (P196); at its own, their notices.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    lost = [m for m in mail.outbox if m.subject.startswith("Qualification lost")]
    assert [m.to for m in lost] == [[operator.email, manager.email]]
    assert "SOP-014 revised to rev 6" in lost[0].body
    assert "unless the training is completed before then" in lost[0].body

    time_machine.move_to(effective + dt.timedelta(minutes=5), tick=False)
    mail.outbox.clear()
    assert run_reminders()["lost"] == 0  # told once, when it was approved
    assert not [m for m in mail.outbox if m.subject.startswith("Qualification lost")]


@pytest.mark.requirement("G4")
def test_an_expired_record_is_notified_by_the_daily_run_once(plant, time_machine):
    from qualify.training.services.rules import run_recurrence

    document = plant.document("SOP-001", "GMP basics")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("GMP-BASICS", document=document, recurrence_months=12)
    plant.matrix(requirement)
    operator = plant.person("Sean Operator", job_function=plant.operators)
    plant.complete(operator, requirement)
    start = timezone.now()
    time_machine.move_to(start + dt.timedelta(days=350), tick=False)
    run_recurrence()
    time_machine.move_to(start + dt.timedelta(days=370), tick=False)
    mail.outbox.clear()
    assert run_reminders()["lost"] == 1
    [lost] = [m for m in mail.outbox if m.subject.startswith("Qualification lost")]
    assert lost.to == [operator.email]
    assert "GMP-BASICS" in lost.body
    assert run_reminders()["lost"] == 0


def test_the_task_and_the_command_send_reminders(team, capsys):
    mail.outbox.clear()
    send_reminders.enqueue()
    assert len(mail.outbox) == 1
    call_command("reminders")
    assert "0 digest(s)" in capsys.readouterr().out
