"""Work arrives: the people given new training are told by mail, after the commit of
the change that made it (no mail for a change that rolls back), with a link to their
inbox (qualify.quality.queries.work). One mail per person per fan-out, never one per
assignment: a revision reaching 5,000 people sends 5,000 mails of one item each, a
new job function one mail listing all its trainings."""

from collections import defaultdict
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django_tasks import task

from qualify.org.models import Person
from qualify.training.events import assignment_created
from qualify.training.models import Assignment, AssignmentStatus, RequalificationOrder


def inbox_url() -> str:
    return f"{settings.QUALIFY_BASE_URL}{reverse('web:work')}"


@task()
def notify_new_work(assignment_ids: list[int]) -> int:
    """Mail each person the open assignments among `assignment_ids` (those completed or
    cancelled meanwhile are left out); returns how many mails were sent."""
    # A requalification order's assignment is told at once by its own notice
    # (tasks.notify_requalification): not a second time here.
    ordered = RequalificationOrder.objects.filter(
        person=OuterRef("person"), requirement=OuterRef("requirement"), source=OuterRef("source")
    )
    rows = (
        Assignment.objects.filter(pk__in=assignment_ids, status=AssignmentStatus.OPEN)
        .exclude(Exists(ordered))
        .select_related("requirement")
        .order_by("due_at", "pk")
    )
    by_person: dict[int, list[Assignment]] = defaultdict(list)
    for a in rows:
        by_person[a.person_id].append(a)
    people = Person.objects.filter(pk__in=by_person, active=True).exclude(email="")
    sent = 0
    for person in people:
        lines = [
            f"  - {a.requirement.code} {a.requirement.title}, due {a.due_at:%Y-%m-%d} (UTC)"
            for a in by_person[person.pk]
        ]
        count = len(lines)
        subject = (
            f"New training for you: {by_person[person.pk][0].requirement.code}"
            if count == 1
            else f"New training for you: {count} items"
        )
        body = (
            f"{person.full_name}, training was assigned to you in Qualify:\n"
            + "\n".join(lines)
            + f"\n\nOpen your work to complete it: {inbox_url()}"
        )
        send_mail(subject, body, None, [person.email])
        sent += 1
    return sent


@assignment_created.connect
def new_work_after_commit(*, actor, assignments, **kwargs) -> None:
    ids = [a.pk for a in assignments]
    transaction.on_commit(partial(notify_new_work.enqueue, ids), robust=True)
