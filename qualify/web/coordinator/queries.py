"""Reads the coordinator's pages need beyond qualify.training.queries: the matrix as a
grid and compliance by framework. Client restriction (U2) applies to both."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

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
    # Issue 18: counted by the database (GROUP BY framework), not in Python.
    rows = (
        job_assignments(user)
        .filter(effective_dated(at, None), person__in=people_at(at))
        .filter(job_function__frameworks__isnull=False)
        .values("job_function__frameworks", "job_function__frameworks__code")
        .annotate(
            people=Count("person_id", distinct=True),
            compliant=Count("person_id", distinct=True, filter=~overdue),
        )
        .order_by()
    )
    return sorted(
        (
            ComplianceRow(
                row["job_function__frameworks"],
                row["job_function__frameworks__code"],
                row["people"],
                row["compliant"],
            )
            for row in rows
        ),
        key=lambda row: row.name,
    )
