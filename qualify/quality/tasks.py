"""Reminders and escalation through the task framework and Django's email backend.

`send_reminders` runs daily (the scheduler enqueues it): new assignments, due soon,
overdue (to the person and their manager, then the manager's manager after a delay),
at most one digest per person per day. Requalification orders and qualifications
lost are notified at once, each once (a unique row per notice).
"""

import datetime as dt
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

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


@task()
def notify_requalification(person_id: int, requirement_id: int, source: str) -> bool:
    person = Person.objects.select_related("manager").get(pk=person_id)
    requirement = Requirement.objects.get(pk=requirement_id)
    subject = f"Requalification ordered: {requirement.code} ({source})"
    body = (
        f"{person.full_name}, your qualification on {requirement.code} {requirement.title} "
        f"is revoked by {source} until you complete it again. Until then you may not "
        "perform work that needs it."
    )
    return _notice(
        person, NoticeKind.REQUALIFICATION, f"{source}:{requirement.code}", subject, body
    )


def notify_lost_qualifications(at: dt.datetime) -> int:
    """A revision became effective, or a record expired, with the person not trained."""
    lost = Assignment.objects.filter(status=AssignmentStatus.OPEN, person__active=True).filter(
        # G3: due no later than the revision's effective date; G4: due at the expiry.
        reason__in=[AssignmentReason.REVISION, AssignmentReason.RECURRENCE],
        due_at__lte=at,
    )
    sent = 0
    for a in lost.select_related("person__manager", "requirement", "document_version__document"):
        what = str(a.document_version) if a.document_version_id else a.requirement.code
        subject = f"Qualification lost: {a.requirement.code}"
        body = (
            f"{a.person.full_name} is no longer qualified on {a.requirement.code} "
            f"({what}) since {a.due_at:%Y-%m-%d %H:%M} UTC: complete the training before "
            "performing this work again."
        )
        sent += _notice(
            a.person, NoticeKind.QUALIFICATION_LOST, f"assignment:{a.pk}", subject, body
        )
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


def send_digests(at: dt.datetime) -> int:
    sent = 0
    for person_id, sections in _digests(at).items():
        person = Person.objects.select_related("site").get(pk=person_id)
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
        send_mail(f"Qualify: your training on {day:%Y-%m-%d}", body, None, [person.email])
        sent += 1
    return sent


def run_reminders(*, at: dt.datetime | None = None) -> dict[str, int]:
    at = at or timezone.now()
    return {"lost": notify_lost_qualifications(at), "digests": send_digests(at)}


@task()
def send_reminders() -> dict[str, int]:
    return run_reminders()
