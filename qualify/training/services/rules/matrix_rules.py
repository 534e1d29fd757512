"""G1 and G2: a matrix entry added, a person gaining a job function."""

import datetime as dt
from typing import Any

from django.db.models import F
from django.utils import timezone

from qualify.org.models import JobAssignment
from qualify.training import engine
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    MatrixEntry,
    Requirement,
    TrainingRecord,
)
from qualify.training.services.assignments import (
    NewAssignment,
    chunks,
    create_assignments,
    open_pairs,
    source_of,
)
from qualify.training.services.rules.required import _overlaps, matrix_entries_for

# --- G1: matrix entry added ------------------------------------------------------


def _ever_trained(person_ids: set[int], requirement_ids: set[int]) -> set[tuple[int, int]]:
    """Pairs with any training record: the only ones the engine may find qualified."""
    found: set[tuple[int, int]] = set()
    for part in chunks(sorted(person_ids)):
        found |= set(
            TrainingRecord.objects.filter(person_id__in=part, requirement_id__in=requirement_ids)
            .values_list("person_id", "requirement_id")
            .distinct()
        )
    return found


def _requirements_of_entry(entry: MatrixEntry) -> list[Requirement]:
    if entry.requirement_id:
        return [entry.requirement]
    return [
        item.requirement
        for item in entry.curriculum.items.select_related("requirement").order_by("position")
        if item.requirement.active
    ]


def assign_for_matrix_entry(
    *, actor: Any, entry: MatrixEntry, requirements: list[Requirement] | None = None
) -> list[Assignment]:
    """G1: every holder of the job function (now or later, within the entry's period)
    who is not qualified on R gets an assignment due window days after the later of
    now, the entry's start and their job's start."""
    now = timezone.now()
    if requirements is None:
        requirements = _requirements_of_entry(entry)
    start = max(now, entry.valid_from)
    holders = (
        JobAssignment.objects.filter(
            _overlaps("valid_from", "valid_to", start, entry.valid_to),
            job_function_id=entry.job_function_id,
            person__active=True,
        )
        .exclude(valid_to=F("valid_from"))  # empty: never held
        .select_related("person")
        .order_by("person_id", "valid_from")
    )
    if entry.valid_to is not None:
        holders = holders.filter(valid_from__lt=entry.valid_to)
    holders = list(holders)
    already = open_pairs(r.pk for r in requirements)
    trained = _ever_trained({j.person_id for j in holders}, {r.pk for r in requirements})
    window = dt.timedelta(days=entry.window_days)
    candidates = [
        (job, requirement, max(start, job.valid_from))
        for job in holders
        for requirement in requirements
        if (job.person_id, requirement.pk) not in already
    ]
    # Only someone with a record can be qualified: ask the engine about them alone,
    # all in one call.
    asked = [c for c in candidates if (c[0].person_id, c[1].pk) in trained]
    answers = engine.qualifications((job.person, requirement, at) for job, requirement, at in asked)
    qualified = {
        (job.person_id, requirement.pk, at)
        for (job, requirement, at), answer in zip(asked, answers, strict=True)
        if answer.qualified
    }
    wanted = [
        NewAssignment(
            person_id=job.person_id,
            requirement_id=requirement.pk,
            due_at=applies + window,
            reason=AssignmentReason.MATRIX,
            source=source_of(entry),
            reason_text=f"Training matrix: {entry.job_function.code} requires {requirement.code}",
        )
        for job, requirement, applies in candidates
        if (job.person_id, requirement.pk, applies) not in qualified
    ]
    return create_assignments(wanted, actor=actor, now=now)


# --- G2: person gains a job function ------------------------------------------------


def on_job_assignment_started(*, actor: Any, assignment: JobAssignment, **_: Any) -> None:
    """G2: the job's requirements the person is not qualified on, due F + window."""
    job = assignment
    person = job.person
    if not person.active or (job.valid_to is not None and job.valid_to <= job.valid_from):
        return
    now = timezone.now()
    start = max(now, job.valid_from)
    entries = [
        e
        for e in matrix_entries_for(
            None, start=start, end=job.valid_to, job_function_ids=[job.job_function_id]
        )
        if job.valid_to is None or e.valid_from < job.valid_to
    ]
    if not entries:
        return
    requirements = Requirement.objects.in_bulk({e.requirement_id for e in entries})
    already = open_pairs(requirements)
    candidates = [
        (e, max(job.valid_from, e.valid_from))
        for e in entries
        if (person.pk, e.requirement_id) not in already
    ]
    answers = engine.qualifications(
        (person, requirements[e.requirement_id], max(now, applies)) for e, applies in candidates
    )
    wanted = [
        NewAssignment(
            person_id=person.pk,
            requirement_id=e.requirement_id,
            due_at=applies + dt.timedelta(days=e.window_days),
            reason=AssignmentReason.ROLE_CHANGE,
            source=source_of(job),
            reason_text=f"New job function {job.job_function.code}",
        )
        for (e, applies), answer in zip(candidates, answers, strict=True)
        if not answer.qualified
    ]
    create_assignments(wanted, actor=actor, now=now)


def assign_for_job_assignments(*, actor: Any, jobs: list[JobAssignment]) -> list[Assignment]:
    """G2 for many job assignments started at once (a bulk HR import): for each, the
    same assignments `on_job_assignment_started` would make, with one read of the
    matrix, of the people's open assignments and training records, one engine call for
    the people who could be qualified, and one insert. The callers pass started jobs of
    active people."""
    now = timezone.now()
    jobs = [j for j in jobs if j.valid_to is None or j.valid_to > j.valid_from]
    if not jobs:
        return []
    starts = {j.pk: max(now, j.valid_from) for j in jobs}
    by_function: dict[int, list] = {}
    for e in matrix_entries_for(
        None, start=min(starts.values()), job_function_ids={j.job_function_id for j in jobs}
    ):
        by_function.setdefault(e.job_function_id, []).append(e)
    person_ids = sorted({j.person_id for j in jobs})
    already: set[tuple[int, int]] = set()
    for part in chunks(person_ids):
        already |= set(
            Assignment.objects.filter(status=AssignmentStatus.OPEN, person_id__in=part).values_list(
                "person_id", "requirement_id"
            )
        )
    candidates = []
    for job in jobs:
        start = starts[job.pk]
        for e in by_function.get(job.job_function_id, ()):
            in_force = (e.valid_to is None or e.valid_to > start) and (
                job.valid_to is None or e.valid_from < job.valid_to
            )
            if in_force and (job.person_id, e.requirement_id) not in already:
                candidates.append((job, e, max(job.valid_from, e.valid_from)))
    requirement_ids = {e.requirement_id for _, e, _ in candidates}
    trained = _ever_trained(set(person_ids), requirement_ids)
    asked = [c for c in candidates if (c[0].person_id, c[1].requirement_id) in trained]
    requirements = Requirement.objects.in_bulk({e.requirement_id for _, e, _ in asked})
    answers = engine.qualifications(
        (job.person, requirements[e.requirement_id], max(now, applies)) for job, e, applies in asked
    )
    qualified = {
        (job.pk, e.pk, e.requirement_id)
        for (job, e, _), answer in zip(asked, answers, strict=True)
        if answer.qualified
    }
    wanted = [
        NewAssignment(
            person_id=job.person_id,
            requirement_id=e.requirement_id,
            due_at=applies + dt.timedelta(days=e.window_days),
            reason=AssignmentReason.ROLE_CHANGE,
            source=source_of(job),
            reason_text=f"New job function {job.job_function.code}",
        )
        for job, e, applies in candidates
        if (job.pk, e.pk, e.requirement_id) not in qualified
    ]
    return create_assignments(wanted, actor=actor, now=now)
