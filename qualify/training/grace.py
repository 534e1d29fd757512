"""Who is "qualified (in grace)" on the training matrix (Q10, P70): the one query the
coordinator's matrix grid and the API's matrix-grace list call.

A cell of the matrix is a job function requiring a requirement at an instant (directly
or through a curriculum, T2). Its holders at that instant are asked the engine's one
question (Q9) on the requirement; those the engine answers "qualified (in grace)" are
listed with the end of their grace. Only requirements that allow grace (a recurrence
and grace days) can have such an answer, so nothing is read, and the engine is not
asked, when none on the page does: the matrix page keeps its bounded queries (P65).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from qualify.org.models import JobFunction, Person
from qualify.org.queries import job_assignments, job_functions
from qualify.training import engine
from qualify.training import queries as training_queries
from qualify.training.engine.answers import RequirementAnswer
from qualify.training.engine.required import effective_dated
from qualify.training.models import CurriculumItem, MatrixEntry, Requirement


@dataclass(frozen=True)
class InGrace:
    """A holder of a job function, qualified on a requirement of it only in grace."""

    job_function: JobFunction
    requirement: Requirement
    person: Person
    answer: RequirementAnswer

    @property
    def grace_ends(self) -> dt.datetime:
        return self.answer.grace_ends


def allows_grace(requirement: Requirement) -> bool:
    return bool(requirement.grace_days and requirement.recurrence_months)


def in_grace_on_matrix(
    user: Any,
    *,
    at: dt.datetime,
    requirements: Iterable[Requirement] | None = None,
    functions: Iterable[JobFunction] | None = None,
) -> list[InGrace]:
    """The holders of the visible job functions (`functions`, else all `user` may see,
    U2) qualified only in grace at `at` on a requirement their job function's matrix
    entry requires at `at` (`requirements`, else every visible one that allows grace),
    ordered by requirement, job function and person. The answer is the engine's,
    as known now, as on every page (Q9)."""
    if requirements is None:
        wanted = list(
            training_queries.requirements(user).filter(grace_days__gt=0, recurrence_months__gt=0)
        )
    else:
        wanted = [r for r in requirements if allows_grace(r)]
    if not wanted:
        return []
    by_id = {r.pk: r for r in wanted}
    if functions is None:
        visible = {jf.pk: jf for jf in job_functions(user)}
    else:
        visible = {jf.pk: jf for jf in functions}
    if not visible:
        return []
    # The cells: (job function, requirement) in force at `at`, directly or through a
    # curriculum's items.
    entries = list(
        MatrixEntry.objects.filter(effective_dated(at, None), job_function_id__in=list(visible))
        .filter(Q(requirement_id__in=list(by_id)) | Q(curriculum__isnull=False))
        .values_list("job_function_id", "requirement_id", "curriculum_id")
    )
    curricula = {c for _, _, c in entries if c}
    items: dict[int, set[int]] = defaultdict(set)
    if curricula:
        for curriculum_id, requirement_id in CurriculumItem.objects.filter(
            curriculum_id__in=curricula, requirement_id__in=list(by_id)
        ).values_list("curriculum_id", "requirement_id"):
            items[curriculum_id].add(requirement_id)
    cells: dict[int, set[int]] = defaultdict(set)  # job function -> requirement ids
    for function_id, requirement_id, curriculum_id in entries:
        cells[function_id] |= {requirement_id} if requirement_id else items[curriculum_id]
    cells = {f: reqs for f, reqs in cells.items() if reqs}
    if not cells:
        return []
    holders: dict[int, set[int]] = defaultdict(set)  # job function -> person ids
    people: dict[int, Person] = {}
    rows = (
        job_assignments(user)
        .filter(
            effective_dated(at, None),
            job_function_id__in=list(cells),
            person__in=training_queries.people_at(at),
        )
        .select_related("person")
    )
    for held in rows:
        holders[held.job_function_id].add(held.person_id)
        people[held.person_id] = held.person
    pairs = sorted({(p, r) for f, reqs in cells.items() for r in reqs for p in holders.get(f, ())})
    answers = engine.qualifications([(people[p], by_id[r], at) for p, r in pairs])
    graced = {pair: a for pair, a in zip(pairs, answers, strict=True) if a.in_grace}
    out = [
        InGrace(visible[f], by_id[r], people[p], graced[(p, r)])
        for f, reqs in cells.items()
        for r in reqs
        for p in holders.get(f, ())
        if (p, r) in graced
    ]
    return sorted(out, key=lambda g: (g.requirement.code, g.job_function.code, g.person.full_name))


def grace_by_cell(rows: Iterable[InGrace]) -> dict[tuple[int, int], list[InGrace]]:
    """(requirement id, job function id) -> its holders in grace, for a grid."""
    cells: dict[tuple[int, int], list[InGrace]] = defaultdict(list)
    for row in rows:
        cells[(row.requirement.pk, row.job_function.pk)].append(row)
    return cells
