"""The qualifications a change ends are queued for notice in groups (P181): the fields
the losses of one change share (cause, instant, label, text) once, the people,
requirements and assignments as columns, each one text of ids, so the queue's cost does
not grow by a dict or a number per person. Each loss is still told once, and a task
queued in an earlier shape (one dict per loss, or the columns as lists) is still told."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from qualify.ids import ids_of, ids_text
from qualify.quality.tasks import notify_losses

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P181", "Q4", "G3")]


def _lost_mail():
    return [m for m in mail.outbox if m.subject.startswith("Qualification lost")]


def test_a_revisions_losses_are_queued_as_one_group_and_each_is_told(
    plant, django_capture_on_commit_callbacks
):
    document = plant.document("SOP-014", "Line clearance")
    plant.approve(plant.revise(document, "5"))
    requirement = plant.requirement("SOP-014-RU", document=document)
    plant.matrix(requirement, window_days=30)
    first = plant.person("Sean Operator", job_function=plant.operators)
    second = plant.person("Aoife Operator", job_function=plant.operators)
    plant.complete(first, requirement)
    plant.complete(second, requirement)
    effective = timezone.now() + dt.timedelta(days=31)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as approved:
        plant.approve(plant.revise(document, "6"), effective_from=effective)
    # The approval's commit queues the task that finds the losses (P196); it queues these.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for callback in approved:
            callback()
    [queued] = [c for c in callbacks if getattr(c, "func", None) == notify_losses.enqueue]
    [group] = queued.args[0]
    # The columns are texts: the queue normalises a text as one value.
    assert all(isinstance(group[c], str) for c in ("people", "requirements", "assignments"))
    people, requirements = ids_of(group["people"]), ids_of(group["requirements"])
    assert sorted(zip(people, requirements, strict=True)) == sorted(
        [(first.pk, requirement.pk), (second.pk, requirement.pk)]
    )
    assert len(ids_of(group["assignments"])) == 2
    assert (group["cause"], group["what"]) == ("revision", "SOP-014 revised to rev 6")
    assert dt.datetime.fromisoformat(group["lost_at"]) == effective

    for callback in callbacks:
        callback()
    told = _lost_mail()
    assert sorted(m.to[0] for m in told) == sorted([first.email, second.email])
    assert all("SOP-014 revised to rev 6" in m.body for m in told)


def _operator_on_a_procedure(plant, number):
    document = plant.document(number, "Gowning")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement(f"{number}-RU", document=document)
    operator = plant.person("Sean Operator")
    mail.outbox.clear()
    return operator, requirement


def test_a_task_queued_as_one_item_per_loss_is_still_told(plant):
    operator, requirement = _operator_on_a_procedure(plant, "SOP-020")
    item = {
        "person": operator.pk,
        "requirement": requirement.pk,
        "cause": "revision",
        "lost_at": (timezone.now() + dt.timedelta(days=31)).isoformat(),
        "assignment": 4711,
        "label": "documents.documentversion:1",
        "what": "SOP-020 revised to rev 2",
    }
    assert notify_losses.call([item]) == 1
    [told] = _lost_mail()
    assert told.to[0] == operator.email
    assert "SOP-020 revised to rev 2" in told.body


def test_a_task_queued_with_the_columns_as_lists_is_still_told(plant):
    operator, requirement = _operator_on_a_procedure(plant, "SOP-021")
    group = {
        "cause": "revision",
        "lost_at": (timezone.now() + dt.timedelta(days=31)).isoformat(),
        "label": "documents.documentversion:1",
        "what": "SOP-021 revised to rev 2",
        "people": [operator.pk],
        "requirements": [requirement.pk],
        "assignments": [4712],
    }
    assert notify_losses.call([group]) == 1
    [told] = _lost_mail()
    assert told.to[0] == operator.email


@pytest.mark.parametrize("ids", [[], [7], [3, 1, 2, 40000]])
def test_a_column_of_ids_reads_back_as_written(ids):
    assert ids_of(ids_text(ids)) == ids
