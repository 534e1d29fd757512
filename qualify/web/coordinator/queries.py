"""Reads the coordinator's pages need beyond qualify.training.queries: the matrix as a
grid and compliance by framework. Client restriction (U2) applies to both."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from qualify.org.models import Framework
from qualify.org.queries import job_assignments, job_functions
from qualify.training import queries as training_queries
from qualify.training.engine.required import effective_dated, overdue_at
from qualify.training.models import MatrixEntry, Requirement
from qualify.training.queries import ComplianceRow, people_at


@dataclass
class Cell:
    entry: MatrixEntry
    via_curriculum: bool = False


def matrix_grid(user, *, at: dt.datetime):
    """(job functions, [(requirement, [Cell | None per job function])]) for the entries
    in force at `at`: the requirements any visible job function requires."""
    functions = list(job_functions(user).filter(active=True).order_by("code"))
    column = {jf.pk: i for i, jf in enumerate(functions)}
    entries = (
        MatrixEntry.objects.filter(job_function__in=functions, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .select_related("job_function", "requirement", "curriculum")
        .prefetch_related("curriculum__items__requirement")
    )
    visible = set(training_queries.requirements(user).values_list("pk", flat=True))
    cells: dict[int, list] = {}
    requirements: dict[int, Requirement] = {}
    for entry in entries:
        if entry.requirement_id:
            targets = [(entry.requirement, False)]
        else:
            targets = [(item.requirement, True) for item in entry.curriculum.items.all()]
        for requirement, via in targets:
            if requirement.pk not in visible:
                continue
            requirements[requirement.pk] = requirement
            row = cells.setdefault(requirement.pk, [None] * len(functions))
            row[column[entry.job_function_id]] = Cell(entry, via)
    rows = [
        (requirements[pk], cells[pk])
        for pk in sorted(requirements, key=lambda k: requirements[k].code)
    ]
    return functions, rows


def compliance_by_framework(*, at: dt.datetime, user) -> list[ComplianceRow]:
    """Q6 per framework: people holding at T a job function tagged with it; compliant
    when none of their assignments is open past its due date. Client restriction (U2):
    the user's clients' job functions, people and assignments only."""
    late = training_queries.visible_assignments(user).filter(overdue_at(at))
    overdue = Exists(late.filter(person_id=OuterRef("person_id")))
    rows = (
        job_assignments(user)
        .filter(effective_dated(at, None), person__in=people_at(at))
        .annotate(overdue=overdue)
        .values_list("job_function__frameworks", "person_id", "overdue")
        .distinct()
    )
    names = dict(Framework.objects.values_list("pk", "code"))
    people: dict = defaultdict(set)
    ok: dict = defaultdict(set)
    for framework, person_id, is_overdue in rows:
        if framework is None:
            continue
        people[framework].add(person_id)
        if not is_overdue:
            ok[framework].add(person_id)
    return sorted(
        (ComplianceRow(pk, names[pk], len(people[pk]), len(ok[pk])) for pk in people),
        key=lambda row: row.name,
    )
