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

from qualify.ids import ids_of, ids_text
from qualify.org.models import Person
from qualify.training.events import assignment_created
from qualify.training.models import Assignment, AssignmentStatus, RequalificationOrder


def inbox_url() -> str:
    return f"{settings.QUALIFY_BASE_URL}{reverse('web:work')}"


# Assignments read per statement: a revision's fan-out names tens of thousands.
IDS_PER_READ = 10_000


@task()
def notify_new_work(assignment_ids: str | list[int]) -> int:
    """Mail each person the open assignments among `assignment_ids` (`ids.ids_text`, or
    a list from a task queued before; those completed or cancelled meanwhile are left
    out); returns how many mails were sent."""
    # A requalification order's assignment is told at once by its own notice
    # (tasks.notify_requalification): not a second time here.
    ordered = RequalificationOrder.objects.filter(
        person=OuterRef("person"), requirement=OuterRef("requirement"), source=OuterRef("source")
    )
    wanted = ids_of(assignment_ids)
    by_person: dict[int, list[Assignment]] = defaultdict(list)
    for start in range(0, len(wanted), IDS_PER_READ):
        rows = (
            Assignment.objects.filter(
                pk__in=wanted[start : start + IDS_PER_READ], status=AssignmentStatus.OPEN
            )
            .exclude(Exists(ordered))
            .select_related("requirement")
        )
        for a in rows:
            by_person[a.person_id].append(a)
    for assignments in by_person.values():
        assignments.sort(key=lambda a: (a.due_at, a.pk))
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
    ids = ids_text([a.pk for a in assignments])
    transaction.on_commit(partial(notify_new_work.enqueue, ids), robust=True)


# --- the other kinds of work the inbox lists --------------------------------------------
#
# Who is told is decided by the inbox's own sources (qualify.quality.queries.work): a
# candidate is mailed an item only when that item is in their inbox, so the rules the
# inbox applies (S2: not the author, not the reviewer; U2: a client-restricted user only
# hears of their clients' records) apply to the mail without being written twice. Each
# (user, item) is mailed once (a Notification row).


def _tell(user, item) -> bool:
    """Mail `user` one inbox item, once; False when already told or no address."""
    from django.db import IntegrityError
    from django.utils import timezone

    from qualify.quality.models import Notification
    from qualify.quality.models.reminders import NoticeKind

    person = Person.objects.filter(user=user).first()
    address = user.email or (person.email if person else "")
    if not address:
        return False
    subject = f"Waiting for you in Qualify: {item.title}"
    try:
        with transaction.atomic():
            Notification.objects.create(
                person=person,
                user=user,
                kind=NoticeKind.WORK_ARRIVED,
                key=item.key[:120],
                subject=subject[:300],
                sent_at=timezone.now(),
            )
    except IntegrityError:
        return False
    due = f"\nDue: {item.due_at:%Y-%m-%d} (UTC)" if item.due_at else ""
    body = (
        f"{user.printed_name or user.username}, this waits for you in Qualify:\n\n"
        f"{item.kind_label}: {item.title}\n{item.detail}{due}\n\n"
        f"Open it: {settings.QUALIFY_BASE_URL}{item.url}\n"
        f"Everything waiting for you: {inbox_url()}"
    )
    send_mail(subject, body, None, [address])
    return True


def notify_work(kind: str, keys: list[str], *, perm=None, user_ids=None) -> int:
    """Tell every candidate whose inbox (source `kind`) holds one of `keys`; returns how
    many mails were sent."""
    from django.utils import timezone

    from qualify.quality.queries import work

    wanted = set(keys)
    at = timezone.now()
    sent = 0
    for user in work.candidates(perm, user_ids):
        for item in work.SOURCES[kind](user, at):
            if item.key in wanted:
                sent += _tell(user, item)
    return sent


@task()
def notify_work_task(kind: str, keys: list[str], perm=None, user_ids=None) -> int:
    return notify_work(kind, keys, perm=perm, user_ids=user_ids)


def _after_commit(kind: str, keys: list[str], *, perm=None, user_ids=None) -> None:
    transaction.on_commit(
        partial(notify_work_task.enqueue, kind, keys, perm, user_ids), robust=True
    )


def _version_submitted(*, version=None, **kwargs) -> None:
    """A revision submitted for review: the possible reviewers are told."""
    from qualify.quality.queries import work

    key = f"documents.documentversion:{version.pk}:review"
    _after_commit(work.DOCUMENT_REVIEW, [key], perm="signatures.sign_reviewed")


def _version_reviewed(*, version=None, **kwargs) -> None:
    """A revision reviewed: the possible approvers are told."""
    from qualify.quality.queries import work

    key = f"documents.documentversion:{version.pk}:approve"
    _after_commit(work.DOCUMENT_REVIEW, [key], perm="documents.approve_version")


def _action_added(*, action=None, **kwargs) -> None:
    """A CAPA action assigned: its owner is told."""
    from qualify.quality.queries import work

    if action.owner_id:
        key = f"quality.capaaction:{action.pk}"
        _after_commit(work.CAPA_ACTION, [key], user_ids=[action.owner_id])


def _deviation_reported(*, actor=None, deviation=None, **kwargs) -> None:
    """A deviation reported: the QA approvers who may assess it are told."""
    from qualify.quality.queries import work

    _after_commit(work.DEVIATION, [f"quality.deviation:{deviation.pk}"], perm="quality.manage_capa")


def notify_effectiveness_due(at) -> int:
    """Daily: QA is told of each effectiveness review that has fallen due (once)."""
    from qualify.quality.models import ActionStatus, CapaAction
    from qualify.quality.models.capa import EffectivenessCheck
    from qualify.quality.queries import work

    due = CapaAction.objects.filter(
        status=ActionStatus.AWAITING_VERIFICATION,
        effectiveness_check=EffectivenessCheck.REVIEW,
        review_on__lte=at,
    ).values_list("pk", flat=True)
    keys = [f"quality.capaaction:{pk}:effectiveness" for pk in due]
    if not keys:
        return 0
    return notify_work(work.EFFECTIVENESS_REVIEW, keys, perm="quality.manage_capa")


def _connect() -> None:
    # Named hooks fired by the services inside their transaction (qualify.hooks), not
    # model signals: a bulk path or a save outside a service would slip past a signal.
    from qualify.documents.events import version_reviewed, version_submitted
    from qualify.quality.events import capa_action_added, deviation_created

    version_submitted.connect(_version_submitted)
    version_reviewed.connect(_version_reviewed)
    capa_action_added.connect(_action_added)
    deviation_created.connect(_deviation_reported)


_connect()
