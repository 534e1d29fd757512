"""G6: a rule stops applying, so the training it assigned is cancelled."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from qualify.documents.models import Document
from qualify.org.models import JobAssignment, Person
from qualify.training.models import Assignment, MatrixEntry
from qualify.training.services.assignments import INDIVIDUAL_REASONS, OPEN, cancel_assignments
from qualify.training.services.rules.matrix_rules import _requirements_of_entry
from qualify.training.services.rules.required import required_pairs, required_rows

# --- G6: a rule stops applying ------------------------------------------------------------


def cancel_unless_required(
    candidates: Iterable[Assignment],
    *,
    actor: Any,
    reason: str,
    now: dt.datetime | None = None,
) -> list[Assignment]:
    """Cancel those open, rule-made candidates whose person is no longer required (Q5,
    from now on) to hold their requirement. Individual assignments are left alone."""
    now = now or timezone.now()
    todo = [a for a in candidates if a.status == OPEN and a.reason not in INDIVIDUAL_REASONS]
    if not todo:
        return []
    still = required_pairs(
        required_rows(
            requirement_ids={a.requirement_id for a in todo},
            start=now,
            person_ids={a.person_id for a in todo},
        )
    )
    return cancel_assignments(
        [a for a in todo if (a.person_id, a.requirement_id) not in still],
        actor=actor,
        reason=reason,
        now=now,
    )


def on_person_deactivated(*, actor: Any, person: Person, reason: str = "", **_: Any) -> None:
    """G6: a deactivated person is required to hold nothing: cancel all their open
    assignments, individual ones included."""
    cancel_assignments(
        list(Assignment.objects.filter(person=person, status=OPEN).order_by("pk")),
        actor=actor,
        reason=f"Person deactivated: {reason}".strip(": "),
        now=timezone.now(),
    )


def on_job_assignment_ended(
    *, actor: Any, assignment: JobAssignment, reason: str = "", **_: Any
) -> None:
    """G6: the ended job's training is cancelled unless something else still requires it.
    A job ending in the future still requires it until then: the daily clean-up acts."""
    cancel_unless_required(
        Assignment.objects.filter(person_id=assignment.person_id, status=OPEN).order_by("pk"),
        actor=actor,
        reason=f"Job function {assignment.job_function.code} ended: {reason}".strip(": "),
    )


def cancel_for_obsolete_documents(
    *, actor: Any, now: dt.datetime, documents: Iterable[Document] | None = None, reason: str = ""
) -> list[Assignment]:
    """G6: training on a document that is obsolete can no longer be done: cancel it."""
    obsolete = Document.objects.filter(obsolete_from__isnull=False, obsolete_from__lte=now)
    if documents is not None:
        obsolete = obsolete.filter(pk__in=[d.pk for d in documents])
    result = []
    for document in obsolete.order_by("pk"):
        open_ = Assignment.objects.filter(requirement__document=document, status=OPEN)
        text = f"{document.number} made obsolete"
        result += cancel_assignments(
            list(open_.order_by("pk")),
            actor=actor,
            reason=f"{text}: {reason}" if reason else text,
            now=now,
        )
    return result


def on_document_obsoleted(*, actor: Any, document: Document, reason: str = "", **_: Any) -> None:
    cancel_for_obsolete_documents(
        actor=actor, now=timezone.now(), documents=[document], reason=reason
    )


def cancel_for_ended_entry(*, actor: Any, entry: MatrixEntry, reason: str) -> list[Assignment]:
    """G6: an ended matrix entry's training is cancelled unless still required."""
    requirement_ids = [r.pk for r in _requirements_of_entry(entry)]
    return cancel_unless_required(
        Assignment.objects.filter(requirement_id__in=requirement_ids, status=OPEN).order_by("pk"),
        actor=actor,
        reason=f"Matrix entry {entry.job_function.code} ended: {reason}",
    )


def run_cleanup(*, actor: Any = None, now: dt.datetime | None = None) -> list[Assignment]:
    """G6, daily: what the hooks could not do at the time (a job, entry or document
    that ended later than it was recorded), and anything they missed."""
    now = now or timezone.now()
    cancelled = cancel_for_obsolete_documents(actor=actor, now=now)
    inactive = Assignment.objects.filter(status=OPEN, person__active=False).order_by("pk")
    cancelled += cancel_assignments(
        list(inactive), actor=actor, reason="Person deactivated", now=now
    )
    candidates = Assignment.objects.filter(status=OPEN).exclude(reason__in=INDIVIDUAL_REASONS)
    cancelled += cancel_unless_required(
        list(candidates.order_by("pk")),
        actor=actor,
        reason="No longer required by the training matrix",
        now=now,
    )
    return cancelled
