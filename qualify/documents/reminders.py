"""Periodic-review reminders, sent by the daily scheduler (`qualify scheduler`).

The owner of a document whose periodic review is due within
QUALIFY_REVIEW_DUE_SOON_DAYS (default 30) gets one "due soon" mail, and one
"overdue" mail once the due date has passed. A ReviewReminder row per document, due
date and kind makes each mail go once, however often the job runs; a new due date
(after a review or a new revision) starts over. Mail is sent after the commit.
"""

import datetime as dt
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from qualify.documents import reviews
from qualify.documents.models import Document, ReviewReminder


def _mail(document: Document, status: reviews.ReviewStatus) -> None:
    when = f"{status.due_at.astimezone(dt.UTC):%Y-%m-%d} (UTC)"
    if status.state == reviews.OVERDUE:
        subject = f"Periodic review overdue: {document.number}"
        told = f"was due on {when}"
    else:
        subject = f"Periodic review due: {document.number}"
        told = f"is due on {when}"
    body = (
        f"The periodic review of {document.number} {document.title} {told}. Review it in "
        "Qualify: sign 'reviewed, no change' or start a new revision.\n\n"
        f"Open it: {settings.QUALIFY_BASE_URL}"
        f"{reverse('web:document_review', args=[document.number])}\n"
        f"Everything waiting for you: {settings.QUALIFY_BASE_URL}{reverse('web:work')}"
    )
    send_mail(subject, body, None, [document.owner.email])


def send_review_reminders(now: dt.datetime) -> dict[str, int]:
    """One mail per document, due date and kind; returns how many were sent."""
    sent = 0
    rows = Document.objects.filter(
        review_interval_months__isnull=False, obsolete_from__isnull=True
    ).select_related("owner")
    for document in rows.iterator():
        status = reviews.review_status(document, at=now)
        if not status.needs_review or not document.owner.email:
            continue
        try:
            with transaction.atomic():
                ReviewReminder.objects.create(
                    document=document, due_at=status.due_at, kind=status.state, sent_at=now
                )
                transaction.on_commit(partial(_mail, document, status))
        except IntegrityError:
            continue  # already told for this due date
        sent += 1
    return {"review_reminders_sent": sent}
