"""The daily scheduler: recurrence (G4) and clean-ups (G6); idempotent."""

import io

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from qualify.audit.models import Checkpoint
from qualify.audit.verify import verify_trail
from qualify.org import services as org
from qualify.training import engine, tasks
from qualify.training import services as training
from qualify.training.management.commands import worker
from qualify.training.models import Assignment, AssignmentReason, AssignmentStatus, Method
from qualify.training.scheduler import run_daily
from tests.training.support import DAY, creds, open_assignments

pytestmark = pytest.mark.django_db


def scheduler() -> str:
    out = io.StringIO()
    call_command("scheduler", stdout=out)
    return out.getvalue()


@pytest.fixture
def forklift(plant):
    requirement = plant.requirement("FORKLIFT", method=Method.EXTERNAL, recurrence_months=12)
    plant.matrix(requirement)
    return requirement


def certify(plant, person, requirement, completed_at):
    return training.record_external(
        actor=plant.coordinator,
        person=person,
        requirement=requirement,
        completed_at=completed_at,
        evidence_file=ContentFile(b"licence", name="licence.pdf"),
        credentials=creds(person.user),
    )


@pytest.mark.requirement("G4")
def test_recurrence_assigns_before_expiry_due_at_expiry_and_only_once(plant, forklift):
    ann = plant.person("Ann", job_function=plant.operators)
    record = certify(plant, ann, forklift, timezone.now() - DAY)
    assert not open_assignments(person=ann)
    expiry = engine.add_months(record.completed_at, 12)
    assert "assignments created: 0" in scheduler()  # a year ahead: nothing yet
    with time_machine.travel(expiry - 29 * DAY, tick=False):  # inside the 30-day lead
        output = scheduler()
        assert "training.recurrence: assignments created: 1" in output
        [assignment] = open_assignments(person=ann)
        assert assignment.reason == AssignmentReason.RECURRENCE
        assert assignment.due_at == expiry
        assert assignment.source == f"training.trainingrecord:{record.pk}"
        assert "training.recurrence: assignments created: 0" in scheduler()
        assert Assignment.objects.filter(reason=AssignmentReason.RECURRENCE).count() == 1


@pytest.mark.requirement("G4")
def test_recurrence_lead_time_is_a_setting(plant, forklift, settings):
    settings.QUALIFY_RECURRENCE_LEAD_DAYS = 60
    ann = plant.person("Ann", job_function=plant.operators)
    record = certify(plant, ann, forklift, timezone.now() - DAY)
    with time_machine.travel(engine.add_months(record.completed_at, 12) - 50 * DAY, tick=False):
        run_daily()
    assert len(open_assignments(person=ann)) == 1


@pytest.mark.requirement("G4")
def test_recurrence_after_completion_or_cancellation_creates_nothing_new(plant, forklift):
    ann = plant.person("Ann", job_function=plant.operators)
    record = certify(plant, ann, forklift, timezone.now() - DAY)
    with time_machine.travel(engine.add_months(record.completed_at, 12) - 10 * DAY, tick=False):
        run_daily()
        [assignment] = open_assignments(person=ann)
        Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.CANCELLED)
        run_daily()
        assert not open_assignments(person=ann)
        renewed = certify(plant, ann, forklift, timezone.now() - DAY)
        run_daily()
        assert not open_assignments(person=ann)
    assert renewed.completed_at > record.completed_at


@pytest.mark.requirement("G4", "Q5")
def test_recurrence_only_for_people_still_required(plant, forklift):
    ann = plant.person("Ann")  # cross-trained, not required
    record = certify(plant, ann, forklift, timezone.now() - DAY)
    with time_machine.travel(engine.add_months(record.completed_at, 12) - DAY, tick=False):
        run_daily()
    assert not open_assignments(person=ann)


@pytest.mark.requirement("G6")
def test_daily_cleanup_cancels_training_once_a_future_job_end_has_passed(plant, forklift):
    ann = plant.person("Ann", job_function=plant.operators)
    job = ann.job_assignments.get()
    org.job_assignment_end(
        actor=plant.coordinator,
        assignment=job,
        valid_to=timezone.now() + 5 * DAY,
        reason="Transfer next week",
    )
    assert len(open_assignments(person=ann)) == 1
    run_daily()
    assert len(open_assignments(person=ann)) == 1
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):
        output = scheduler()
        assert "training.cleanup: assignments cancelled: 1" in output
        assert "training.cleanup: assignments cancelled: 0" in scheduler()
    [assignment] = Assignment.objects.filter(person=ann)
    assert assignment.cancel_reason == "No longer required by the training matrix"


@pytest.mark.requirement("G6")
def test_daily_cleanup_leaves_future_job_training_alone(plant, forklift):
    ann = plant.person("Ann", job_function=plant.operators, since=timezone.now() + 10 * DAY)
    assert len(open_assignments(person=ann)) == 1
    run_daily()
    assert len(open_assignments(person=ann)) == 1


@pytest.mark.requirement("G4")
def test_daily_task_runs_through_the_task_backend(plant, forklift):
    ann = plant.person("Ann", job_function=plant.operators)
    record = certify(plant, ann, forklift, timezone.now() - DAY)
    with time_machine.travel(engine.add_months(record.completed_at, 12) - DAY, tick=False):
        result = tasks.daily_training_jobs.enqueue()  # immediate backend in tests
    assert result.return_value["training.recurrence"] == {"assignments_created": 1}


def test_worker_delegates_to_the_database_worker(monkeypatch):
    calls = []
    monkeypatch.setattr(worker, "call_command", lambda *a, **kw: calls.append((a, kw)))
    call_command("worker", "--batch")
    [(args, kwargs)] = calls
    assert args == ("db_worker",)
    assert kwargs["batch"] is True
    assert kwargs["queue_name"] == "*"


@pytest.mark.requirement("A3")
def test_the_daily_scheduler_signs_a_checkpoint_that_verifies(plant, forklift):
    before = Checkpoint.objects.count()
    out = io.StringIO()
    call_command("scheduler", stdout=out)
    assert Checkpoint.objects.count() == before + 1
    newest = Checkpoint.objects.order_by("-tree_size").first()
    assert f"audit.checkpoint: signed at tree size {newest.tree_size}" in out.getvalue()
    report = verify_trail(checkpoint_texts=[newest.note])
    assert report.ok, report.problems
