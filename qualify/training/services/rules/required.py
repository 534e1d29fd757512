"""Q5, set-based: who must hold which requirements over a period. The revision
fan-out (G3), its impact preview, recurrence (G4) and the clean-ups (G6) all share it.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q

from qualify.org.models import JobAssignment
from qualify.training.models import Assignment, AssignmentStatus, CurriculumItem, MatrixEntry
from qualify.training.services.assignments import INDIVIDUAL_REASONS

# --- Q5, set-based -------------------------------------------------------------


@dataclass(frozen=True)
class RequiredRow:
    """Person P must hold requirement R because of job function J's matrix entry E
    (J, E None: an individual assignment names P and R)."""

    person_id: int
    requirement_id: int
    site_id: int
    job_function_id: int | None = None
    entry_id: int | None = None
    window_days: int | None = None
    # When the requirement begins to apply to P: max(job start, entry start).
    applies_from: dt.datetime | None = None


@dataclass(frozen=True)
class _Entry:
    pk: int
    job_function_id: int
    requirement_id: int
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    window_days: int


def _overlaps(field_from: str, field_to: str, start: dt.datetime, end: dt.datetime | None) -> Q:
    """The half-open [from, to) interval meets [start, end] (end None: for ever)."""
    q = Q(**{f"{field_to}__isnull": True}) | Q(**{f"{field_to}__gt": start})
    if end is not None:
        q &= Q(**{f"{field_from}__lte": end})
    return q


def matrix_entries_for(
    requirement_ids: Iterable[int] | None,
    *,
    start: dt.datetime,
    end: dt.datetime | None = None,
    job_function_ids: Iterable[int] | None = None,
) -> list[_Entry]:
    """Matrix entries (direct or through a curriculum) for these requirements that are
    in force at some point of [start, end], one per (entry, requirement)."""
    when = _overlaps("valid_from", "valid_to", start, end)
    direct = MatrixEntry.objects.filter(when, requirement__isnull=False, requirement__active=True)
    via = CurriculumItem.objects.filter(
        _overlaps(
            "curriculum__matrix_entries__valid_from",
            "curriculum__matrix_entries__valid_to",
            start,
            end,
        ),
        requirement__active=True,
    )
    if requirement_ids is not None:
        ids = list(set(requirement_ids))
        direct = direct.filter(requirement_id__in=ids)
        via = via.filter(requirement_id__in=ids)
    if job_function_ids is not None:
        jfs = list(set(job_function_ids))
        direct = direct.filter(job_function_id__in=jfs)
        via = via.filter(curriculum__matrix_entries__job_function_id__in=jfs)
    fields = ("pk", "job_function_id", "requirement_id", "valid_from", "valid_to", "window_days")
    rows = {_Entry(*values) for values in direct.values_list(*fields)}
    rows |= {
        _Entry(*values)
        for values in via.values_list(
            "curriculum__matrix_entries__pk",
            "curriculum__matrix_entries__job_function_id",
            "requirement_id",
            "curriculum__matrix_entries__valid_from",
            "curriculum__matrix_entries__valid_to",
            "curriculum__matrix_entries__window_days",
        )
    }
    return sorted(rows, key=lambda e: (e.pk, e.requirement_id))


def required_rows(
    *,
    requirement_ids: Iterable[int] | None,
    start: dt.datetime,
    end: dt.datetime | None = None,
    person_ids: Iterable[int] | None = None,
) -> list[RequiredRow]:
    """Q5 over a period: who must hold these requirements at some instant of
    [start, end] (end None: from start on). Three queries whatever the head count.

    A job row needs job assignment, matrix entry and [start, end] to share an instant;
    an individual row is any assignment from a quality event or coordinator naming P
    and R that is not cancelled (Q5). Only active people are required.
    """
    req_ids = None if requirement_ids is None else sorted(set(requirement_ids))
    people = None if person_ids is None else sorted(set(person_ids))
    entries = matrix_entries_for(req_ids, start=start, end=end)
    by_function: dict[int, list[_Entry]] = defaultdict(list)
    for e in entries:
        by_function[e.job_function_id].append(e)
    rows: list[RequiredRow] = []
    if by_function:
        jobs = JobAssignment.objects.filter(
            _overlaps("valid_from", "valid_to", start, end),
            job_function_id__in=list(by_function),
            person__active=True,
        ).exclude(valid_to=F("valid_from"))  # empty: never held
        if people is not None:
            jobs = jobs.filter(person_id__in=people)
        for person_id, site_id, jf_id, j_from, j_to in jobs.values_list(
            "person_id", "person__site_id", "job_function_id", "valid_from", "valid_to"
        ).iterator(chunk_size=2000):
            for e in by_function[jf_id]:
                lo = max(j_from, e.valid_from, start)
                his = [t for t in (j_to, e.valid_to) if t is not None]
                if his and lo >= min(his):
                    continue
                if end is not None and lo > end:
                    continue
                rows.append(
                    RequiredRow(
                        person_id=person_id,
                        requirement_id=e.requirement_id,
                        site_id=site_id,
                        job_function_id=jf_id,
                        entry_id=e.pk,
                        window_days=e.window_days,
                        applies_from=max(j_from, e.valid_from),
                    )
                )
    individual = Assignment.objects.filter(
        reason__in=INDIVIDUAL_REASONS, person__active=True
    ).exclude(status=AssignmentStatus.CANCELLED)
    if req_ids is not None:
        individual = individual.filter(requirement_id__in=req_ids)
    if people is not None:
        individual = individual.filter(person_id__in=people)
    for person_id, req_id, site_id in individual.values_list(
        "person_id", "requirement_id", "person__site_id"
    ).distinct():
        rows.append(RequiredRow(person_id=person_id, requirement_id=req_id, site_id=site_id))
    return rows


def required_pairs(rows: Iterable[RequiredRow]) -> set[tuple[int, int]]:
    return {(r.person_id, r.requirement_id) for r in rows}
