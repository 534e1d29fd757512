"""Q5 (required) and Q6 (compliant) for one person."""

import datetime as dt
from collections import defaultdict

from django.db.models import Q, QuerySet

from qualify.org.models import JobAssignment, Person
from qualify.training.engine.answers import RequiredBecause
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    CurriculumItem,
    MatrixEntry,
)

INDIVIDUAL_REASONS = (AssignmentReason.QUALITY_EVENT, AssignmentReason.COORDINATOR)


def effective_dated(at: dt.datetime, as_known_at: dt.datetime | None) -> Q:
    """T2 + Q7 for rows with valid_from / valid_to / recorded_at / end_recorded_at.

    As known at K the row must have been recorded by K, and its end counts only if
    that too was known by K. An end recorded together with the row (end_recorded_at
    empty) was known when the row was.
    """
    started = Q(valid_from__lte=at)
    if as_known_at is None:
        return started & (Q(valid_to__isnull=True) | Q(valid_to__gt=at))
    end_unknown = Q(end_recorded_at__gt=as_known_at)
    return (
        started
        & Q(recorded_at__lte=as_known_at)
        & (Q(valid_to__isnull=True) | Q(valid_to__gt=at) | end_unknown)
    )


def held_job_functions(person: Person, *, at, as_known_at=None) -> QuerySet[JobAssignment]:
    return JobAssignment.objects.filter(effective_dated(at, as_known_at), person=person)


def required_requirements(
    person: Person, *, at: dt.datetime, as_known_at: dt.datetime | None = None
) -> dict[int, list[RequiredBecause]]:
    """Q5: requirement id -> why P must hold it at T (as known at K)."""
    why: dict[int, list[RequiredBecause]] = defaultdict(list)
    # The job functions held, as a subquery: one statement (one round trip) for both.
    functions = held_job_functions(person, at=at, as_known_at=as_known_at).values("job_function_id")
    entries = list(
        MatrixEntry.objects.filter(
            effective_dated(at, as_known_at), job_function_id__in=functions
        ).values_list("pk", "job_function_id", "requirement_id", "curriculum_id")
    )
    curricula = {c for _, _, _, c in entries if c is not None}
    items = defaultdict(list)
    if curricula:
        rows = CurriculumItem.objects.filter(curriculum_id__in=curricula).values_list(
            "curriculum_id", "requirement_id"
        )
        for curriculum_id, requirement_id in rows:
            items[curriculum_id].append(requirement_id)
    for entry_id, function_id, requirement_id, curriculum_id in entries:
        if requirement_id is not None:
            why[requirement_id].append(
                RequiredBecause("matrix", job_function_id=function_id, matrix_entry_id=entry_id)
            )
        for item_requirement in items.get(curriculum_id, ()):
            why[item_requirement].append(
                RequiredBecause(
                    "curriculum",
                    job_function_id=function_id,
                    matrix_entry_id=entry_id,
                    curriculum_id=curriculum_id,
                )
            )
    for assignment_id, requirement_id, source in individual_assignments(
        person, at=at, as_known_at=as_known_at
    ).values_list("pk", "requirement_id", "source"):
        why[requirement_id].append(
            RequiredBecause("assignment", assignment_id=assignment_id, detail=source)
        )
    return dict(why)


def individual_assignments(person: Person, *, at, as_known_at=None) -> QuerySet[Assignment]:
    """Assignments from a quality event or a coordinator that name P and were not
    cancelled by T (as known at K; assignments carry no separate recorded time, so
    their created_at and closed_at stand for it)."""
    known = at if as_known_at is None else min(at, as_known_at)
    return Assignment.objects.filter(
        person=person, reason__in=INDIVIDUAL_REASONS, created_at__lte=known
    ).exclude(status=AssignmentStatus.CANCELLED, closed_at__lte=known)


def open_at(at: dt.datetime) -> Q:
    """G7 at an instant: created by T and not closed by T. For T = now this is
    simply status open; for an earlier T a since-closed assignment was still open."""
    return Q(created_at__lte=at) & (Q(status=AssignmentStatus.OPEN) | Q(closed_at__gt=at))


def overdue_at(at: dt.datetime) -> Q:
    return open_at(at) & Q(due_at__lt=at)


def is_compliant(person: Person, *, at: dt.datetime) -> bool:
    """Q6: no assignment of P open past its due date at T."""
    return not Assignment.objects.filter(overdue_at(at), person=person).exists()
