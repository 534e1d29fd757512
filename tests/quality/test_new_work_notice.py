"""New training is mailed after the commit that made it (issue 11), one mail per person
listing their open items by due date. Issue 18: the task names the assignments as one
text of ids (a revision's fan-out names tens of thousands, which the queue normalised
number by number) and reads them in slices; a task queued with a list is still told."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from qualify.ids import ids_of
from qualify.quality import work_notices
from qualify.training.models import Assignment, Method
from qualify.training.services import assignment_create_individual

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P191", "G3")]


def _new_work_mail():
    return [m for m in mail.outbox if m.subject.startswith("New training for you")]


def _revision_assigns_two_operators(plant, number):
    document = plant.document(number, "Line clearance")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement(f"{number}-RU", document=document)
    plant.matrix(requirement, window_days=30)
    first = plant.person("Sean Operator", job_function=plant.operators)
    second = plant.person("Aoife Operator", job_function=plant.operators)
    return document, first, second


def _assign(plant, person, code, days):
    return assignment_create_individual(
        actor=plant.coordinator,
        person=person,
        requirement=plant.requirement(code, method=Method.EXTERNAL),
        due_at=timezone.now() + dt.timedelta(days=days),
    )


def test_a_revisions_new_work_is_queued_as_one_text_of_ids_and_told_once_each(
    plant, django_capture_on_commit_callbacks
):
    document, first, second = _revision_assigns_two_operators(plant, "SOP-031")
    mail.outbox.clear()
    effective = timezone.now() + dt.timedelta(days=31)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = plant.approve(plant.revise(document, "2"), effective_from=effective)
    [queued] = [
        c for c in callbacks if getattr(c, "func", None) == work_notices.notify_new_work.enqueue
    ]
    [ids] = queued.args
    assert isinstance(ids, str)
    assigned = Assignment.objects.filter(document_version=version)
    assert sorted(ids_of(ids)) == sorted(assigned.values_list("pk", flat=True))
    assert {a.person_id for a in assigned} >= {first.pk, second.pk}

    for callback in callbacks:
        callback()
    told = _new_work_mail()
    assert sorted(m.to[0] for m in told if m.to[0] in {first.email, second.email}) == sorted(
        [first.email, second.email]
    )


def test_items_read_in_slices_come_in_one_mail_per_person_by_due_date(plant, monkeypatch):
    _, first, second = _revision_assigns_two_operators(plant, "SOP-032")
    later = _assign(plant, first, "SOP-032-B", days=20)
    theirs = _assign(plant, second, "SOP-032-C", days=10)
    sooner = _assign(plant, first, "SOP-032-D", days=5)
    monkeypatch.setattr(work_notices, "IDS_PER_READ", 1)
    mail.outbox.clear()
    ids = f"{later.pk},{theirs.pk},{sooner.pk}"
    assert work_notices.notify_new_work.call(ids) == 2
    [told] = [m for m in _new_work_mail() if m.to == [first.email]]
    body = told.body
    assert body.index(f"due {sooner.due_at:%Y-%m-%d}") < body.index(f"due {later.due_at:%Y-%m-%d}")


def test_a_task_queued_with_a_list_of_ids_is_still_told(plant):
    _, first, _ = _revision_assigns_two_operators(plant, "SOP-033")
    assignment = _assign(plant, first, "SOP-033-B", days=5)
    mail.outbox.clear()
    assert work_notices.notify_new_work.call([assignment.pk]) == 1
    [told] = _new_work_mail()
    assert told.to == [first.email]
