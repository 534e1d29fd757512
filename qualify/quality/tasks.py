"""Reminders and escalation through the task framework and Django's email backend.

`send_reminders` runs daily (the scheduler enqueues it): new assignments, due soon,
overdue (to the person and their manager, then the manager's manager after a delay),
at most one digest per person per day. Requalification orders and qualifications
lost through a revision are notified at once, after the commit of the change
(handlers.py, on training.events.qualification_lost); an expired record when the
daily run finds it. Each notice is sent once (a unique row per notice).
"""

import datetime as dt
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from qualify.ids import ids_of
from qualify.org.models import Person
from qualify.quality.models import Notification, ReminderDigest
from qualify.quality.models.reminders import NoticeKind
from qualify.training.models import Assignment, AssignmentReason, AssignmentStatus, Requirement


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _recipients(person: Person) -> list[str]:
    return [p.email for p in (person, person.manager) if p is not None and p.email]


def _notice(person: Person, kind: str, key: str, subject: str, body: str) -> bool:
    """Send one immediate notice, once. Returns False when it was already sent."""
    try:
        with transaction.atomic():
            Notification.objects.create(
                person=person, kind=kind, key=key, subject=subject, sent_at=timezone.now()
            )
    except IntegrityError:
        return False
    recipients = _recipients(person)
    if recipients:
        send_mail(subject, body, None, recipients)
    return True


def _requalification_notice(person: Person, requirement: Requirement, label: str) -> bool:
    subject = f"Requalification ordered: {requirement.code} ({label})"
    body = (
        f"{person.full_name}, your qualification on {requirement.code} {requirement.title} "
        f"is revoked by {label} until you complete it again. Until then you may not "
        "perform work that needs it."
    )
    return _notice(person, NoticeKind.REQUALIFICATION, f"{label}:{requirement.code}", subject, body)


def _lost_notice(person: Person, requirement: Requirement, item: dict) -> bool:
    lost_at = dt.datetime.fromisoformat(item["lost_at"])
    what = item.get("what") or requirement.code
    when = f"{lost_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    if lost_at <= timezone.now():
        told = f"is no longer qualified on {requirement.code} ({what}) since {when}"
    else:
        told = (
            f"is no longer qualified on {requirement.code} ({what}) from {when} "
            "unless the training is completed before then"
        )
    subject = f"Qualification lost: {requirement.code}"
    body = f"{person.full_name} {told}: complete the training before performing this work again."
    # The same key as the daily run would use, so each loss is told once.
    key = f"assignment:{item['assignment']}"
    return _notice(person, NoticeKind.QUALIFICATION_LOST, key, subject, body)


@task()
def notify_requalification(person_id: int, requirement_id: int, source: str) -> bool:
    person = Person.objects.select_related("manager").get(pk=person_id)
    requirement = Requirement.objects.get(pk=requirement_id)
    return _requalification_notice(person, requirement, source)


LOSS_COLUMNS = ("people", "requirements", "assignments")


def _loss_items(groups: list[dict]) -> list[dict]:
    """One item per loss from the groups handlers.qualification_lost_at_once queues
    (shared fields once, the people, requirements and assignments as columns); a task
    queued before the groups holds the items themselves."""
    items = []
    for group in groups:
        if "people" not in group:
            items.append(group)
            continue
        shared = {k: group[k] for k in ("cause", "lost_at", "label", "what")}
        columns = [ids_of(group[column]) for column in LOSS_COLUMNS]
        for person, requirement, assignment in zip(*columns, strict=True):
            items.append(
                {**shared, "person": person, "requirement": requirement, "assignment": assignment}
            )
    return items


@task()
def notify_losses(items: list[dict]) -> int:
    """Qualifications lost, told at once (queued after the commit of the change by
    handlers.qualification_lost_at_once), in groups (`_loss_items`). Each loss: person,
    requirement, cause, lost_at (ISO), assignment, label (what revoked it), what (the
    version)."""
    items = _loss_items(items)
    people = Person.objects.select_related("manager").in_bulk({i["person"] for i in items})
    requirements = Requirement.objects.in_bulk({i["requirement"] for i in items})
    sent = 0
    for item in items:
        person, requirement = people[item["person"]], requirements[item["requirement"]]
        if item["cause"] == "requalification":
            sent += _requalification_notice(person, requirement, item["label"])
        else:
            sent += _lost_notice(person, requirement, item)
    return sent


def notify_lost_qualifications(at: dt.datetime) -> int:
    """A record expired (G4: the recurrence assignment is due at the expiry) with the
    person not trained again. Revisions are told at once, when approved (G3 fires
    training.events.qualification_lost), not here."""
    lost = Assignment.objects.filter(status=AssignmentStatus.OPEN, person__active=True).filter(
        reason=AssignmentReason.RECURRENCE, due_at__lte=at
    )
    sent = 0
    for a in lost.select_related("person__manager", "requirement"):
        item = {
            "assignment": a.pk,
            "lost_at": a.due_at.isoformat(),
            "what": f"expired {a.due_at:%Y-%m-%d}",
        }
        sent += _lost_notice(a.person, a.requirement, item)
    return sent


def _line(a: Assignment, who: str = "") -> str:
    prefix = f"{who}: " if who else ""
    return f"{prefix}{a.requirement.code} {a.requirement.title}, due {a.due_at:%Y-%m-%d}"


def _digests(at: dt.datetime) -> dict[int, dict[str, list[str]]]:
    soon = at + dt.timedelta(days=_setting("QUALIFY_DUE_SOON_DAYS", 7))
    escalate = at - dt.timedelta(days=_setting("QUALIFY_ESCALATION_DAYS", 7))
    new_since = at - dt.timedelta(days=1)
    out: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    open_ = Assignment.objects.filter(status=AssignmentStatus.OPEN, person__active=True)
    for a in open_.select_related("person__manager__manager", "requirement").order_by("due_at"):
        p = a.person
        if a.created_at >= new_since:
            out[p.pk]["New training assigned to you"].append(_line(a))
        if at <= a.due_at < soon:
            out[p.pk]["Due soon"].append(_line(a))
        if a.due_at < at:
            out[p.pk]["Overdue"].append(_line(a))
            if p.manager_id:
                out[p.manager_id]["Overdue in your team"].append(_line(a, p.full_name))
                boss = p.manager.manager_id
                if a.due_at < escalate and boss:
                    out[boss]["Escalated: overdue in your organisation"].append(
                        _line(a, p.full_name)
                    )
    return out


def _waiting(person: Person, at: dt.datetime) -> str:
    """The digest's closing lines: the rest of the person's work (reviews, approvals,
    sessions, CAPA actions…, from the inbox's own query) and the link into it."""
    from qualify.quality.queries.work import TRAINING, my_work
    from qualify.quality.work_notices import inbox_url

    others = []
    if person.user_id is not None:
        others = [i for i in my_work(person.user, at=at) if i.kind != TRAINING]
    lines = "".join(
        f"\n  - {i.kind_label}: {i.title}"
        + (f", due {i.due_at.astimezone(dt.UTC):%Y-%m-%d}" if i.due_at else "")
        for i in others
    )
    also = f"\n\nAlso waiting for you:{lines}" if others else ""
    return f"{also}\n\nEverything waiting for you: {inbox_url()}"


def send_digests(at: dt.datetime) -> int:
    sent = 0
    for person_id, sections in _digests(at).items():
        person = Person.objects.select_related("site", "user").get(pk=person_id)
        if not person.email or not person.active:
            continue
        day = at.astimezone(zoneinfo.ZoneInfo(person.site.time_zone)).date()
        items = {title: lines for title, lines in sections.items()}
        try:
            with transaction.atomic():
                ReminderDigest.objects.create(person=person, day=day, sent_at=at, items=items)
        except IntegrityError:
            continue  # at most one digest per person per day
        body = "\n\n".join(
            title + ":\n" + "\n".join(f"  - {line}" for line in lines)
            for title, lines in items.items()
        )
        body += _waiting(person, at)
        send_mail(f"Qualify: your training on {day:%Y-%m-%d}", body, None, [person.email])
        sent += 1
    return sent


def run_reminders(*, at: dt.datetime | None = None) -> dict[str, int]:
    from qualify.quality.work_notices import notify_effectiveness_due

    at = at or timezone.now()
    return {
        "lost": notify_lost_qualifications(at),
        "digests": send_digests(at),
        "effectiveness_due": notify_effectiveness_due(at),
    }


@task()
def send_reminders() -> dict[str, int]:
    return run_reminders()
