"""Periodic review of controlled documents: when one is due, and its state.

A document with a review interval of N months is due for review N calendar months
after the later of: the instant its current version took effect, and its last
periodic review (either outcome). Approving a new revision therefore restarts the
clock, as does a signed "reviewed, no change". While a revision started from a
review is open, the review is answered: the state says so instead of "overdue".
Nothing here is stored: the due date is computed from the rows each time, so it can
never disagree with the versions and reviews it is made of.
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from qualify.documents.models import (
    Document,
    DocumentVersion,
    PeriodicReview,
    ReviewOutcome,
    VersionStatus,
)

NOT_SCHEDULED = "not_scheduled"
SCHEDULED = "scheduled"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
REVISION_OPEN = "revision_open"
LABELS = {
    NOT_SCHEDULED: "No periodic review",
    SCHEDULED: "Scheduled",
    DUE_SOON: "Due soon",
    OVERDUE: "Overdue",
    REVISION_OPEN: "Revision in progress",
}


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Calendar months, the day clamped to the target month (31 Jan + 1 = 28/29 Feb)."""
    years, month0 = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + years, month0 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def due_soon_days() -> int:
    return int(getattr(settings, "QUALIFY_REVIEW_DUE_SOON_DAYS", 30))


@dataclass(frozen=True)
class ReviewStatus:
    state: str
    due_at: dt.datetime | None
    current: DocumentVersion | None
    last_review: PeriodicReview | None
    open_revision: DocumentVersion | None

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def needs_review(self) -> bool:
        return self.state in (DUE_SOON, OVERDUE)


def _current(document: Document, at: dt.datetime) -> DocumentVersion | None:
    """The version in force at `at` (Q1), read from the dates like everywhere else."""
    if document.obsolete_from is not None and at >= document.obsolete_from:
        return None
    return (
        document.versions.filter(
            status=VersionStatus.APPROVED, effective_from__isnull=False, effective_from__lte=at
        )
        .exclude(effective_to__lte=at)
        .order_by("-effective_from", "-sequence")
        .first()
    )


def review_status(document: Document, *, at: dt.datetime) -> ReviewStatus:
    """The periodic-review state of `document` at `at`."""
    current = _current(document, at)
    last = document.periodic_reviews.filter(reviewed_at__lte=at).order_by("-reviewed_at", "-pk")
    last_review = last.select_related("revision").first()
    open_revision = None
    if (
        last_review is not None
        and last_review.outcome == ReviewOutcome.REVISION
        and last_review.revision.status in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
    ):
        open_revision = last_review.revision
    if document.review_interval_months is None or current is None:
        return ReviewStatus(NOT_SCHEDULED, None, current, last_review, open_revision)
    since = current.effective_from
    if last_review is not None and last_review.reviewed_at > since:
        since = last_review.reviewed_at
    due_at = add_months(since, document.review_interval_months)
    if open_revision is not None:
        state = REVISION_OPEN
    elif due_at <= at:
        state = OVERDUE
    elif due_at <= at + dt.timedelta(days=due_soon_days()):
        state = DUE_SOON
    else:
        state = SCHEDULED
    return ReviewStatus(state, due_at, current, last_review, open_revision)
