"""Reads the coordinator's pages need beyond qualify.training.queries: the matrix as a
grid (with who is in grace, qualify.training.grace), compliance by framework and the
compliance dashboard's four groupings. Client restriction (U2) applies to all."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict

from qualify.accounts import policy
from qualify.audit.memo import while_unchanged
from qualify.ids import Among
from qualify.org.models import JobFunction
from qualify.org.queries import (
    assignments_held,
    framework_codes,
    job_assignments,
    job_functions,
)
from qualify.org.scoping import restricted_clients
from qualify.quality.queries.effectiveness import visible_deviations
from qualify.reports.library import compliance as compliance_report
from qualify.reports.library.training_effectiveness import training_effectiveness_subjects
from qualify.training import queries as training_queries
from qualify.training.engine.required import effective_dated, overdue_at
from qualify.training.grace import InGrace, grace_by_cell, in_grace_on_matrix
from qualify.training.models import CurriculumItem, MatrixEntry, Requirement
from qualify.training.queries import ComplianceRow, people_at


def _count_per_function(rows: QuerySet) -> Coalesce:
    """A correlated count of `rows` of the outer job function (0 for none)."""
    counted = (
        rows.filter(job_function=OuterRef("pk"))
        .order_by()
        .values("job_function")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _with_counts(functions: QuerySet[JobFunction], at: dt.datetime) -> QuerySet[JobFunction]:
    held = assignments_held(at=at).filter(person__active=True)
    in_force = MatrixEntry.objects.filter(
        Q(valid_from__lte=at) & (Q(valid_to__isnull=True) | Q(valid_to__gt=at))
    )
    return functions.annotate(
        holders=_count_per_function(held), entries=_count_per_function(in_force)
    )


def job_function_overview(user, *, at: dt.datetime) -> QuerySet[JobFunction]:
    """The job functions `user` may see, with `holders` (assignments of active people
    in force at `at`) and `entries` (matrix entries in force at `at`). Issue 18: each a
    count per job function, not a join of both tables (their product per function)."""
    return _with_counts(_overview_rows(user), at)


def _overview_rows(user) -> QuerySet[JobFunction]:
    return job_functions(user).prefetch_related("frameworks").order_by("code")


# Issue 18 (P179): how long a page's counts stand when nothing is recorded; a job
# assignment or matrix entry comes into force or ends with time alone.
OVERVIEW_SECONDS = 60
OVERVIEW_PAGE_SIZE = 50


def _counts(ids: tuple[int, ...], at: dt.datetime) -> dict[int, tuple[int, int]]:
    rows = _with_counts(JobFunction.objects.filter(pk__in=ids), at).order_by()
    return {row[0]: row[1:] for row in rows.values_list("pk", "holders", "entries")}


def job_function_overview_page(user, number) -> tuple[dt.datetime, Page]:
    """Page `number` of `job_function_overview(user, at=taken_at)`: its rows now, their
    counts remembered while the audit trail's head stands and for at most
    OVERVIEW_SECONDS (qualify.audit.memo). Issue 18: the holders of 50 job functions
    are most of the plant's job assignments; a page view need not count them again.
    The counts of a job function are the same for every user; which job functions a
    user sees (U2) is read on every view, and the memo is keyed by them."""
    rows = _overview_rows(user).prefetch_related(None)
    page = Paginator(rows, OVERVIEW_PAGE_SIZE).get_page(number)
    page.object_list = list(page.object_list)
    ids = tuple(jf.pk for jf in page.object_list)
    taken_at, counts = while_unchanged(
        "job-function-counts", ids, lambda at: _counts(ids, at), seconds=OVERVIEW_SECONDS
    )
    codes = framework_codes(ids)
    for jf in page.object_list:
        jf.holders, jf.entries = counts[jf.pk]
        jf.framework_codes = codes[jf.pk]
    return taken_at, page


@dataclass
class Cell:
    entry: MatrixEntry
    via_curriculum: bool = False
    # Q10 (P70): the holders qualified on this requirement only in grace now.
    in_grace: list[InGrace] = field(default_factory=list)

    @property
    def grace_ends(self) -> dt.datetime | None:
        return min((g.grace_ends for g in self.in_grace), default=None)


@dataclass
class MatrixPage:
    """One page of the matrix: the columns (job functions) of this column page after the
    filters, and the rows (requirements) of this page with a cell per column."""

    functions: list[JobFunction]
    rows: list[tuple[Requirement, list[Cell | None]]]
    page: Page
    column_page: Page


def matrix_grid(
    user,
    *,
    at: dt.datetime,
    site=None,
    department=None,
    framework=None,
    job_function=None,
    page: int | str | None = 1,
    per_page: int = 50,
    columns: int | str | None = 1,
    per_column_page: int = 25,
) -> MatrixPage:
    """The entries in force at `at` as a grid of requirements (rows) by the visible job
    functions (columns), filtered by site, department, framework and job function, one
    page of rows at a time (issue 18: no page renders the whole grid; the full grid is
    the `matrix` report). Columns are paged too: a large plant has hundreds of job
    functions, and 50 rows by all of them is tens of thousands of cells; the rows are
    the requirements with an entry under the job functions of the column page shown.
    The grid is first built from plain values; model rows are read only for the page
    shown, so the number of queries does not grow with it."""
    functions_qs = job_functions(user).filter(active=True)
    if site is not None:
        functions_qs = functions_qs.filter(Q(site=site) | Q(department__site=site))
    if department is not None:
        functions_qs = functions_qs.filter(department=department)
    if framework is not None:
        functions_qs = functions_qs.filter(frameworks=framework)
    if job_function is not None:
        functions_qs = functions_qs.filter(pk=job_function.pk)
    # Issue 18: the column pager counts every visible job function; only the 25 shown
    # are read as rows.
    ordered_functions = functions_qs.distinct().order_by("code").values_list("pk", flat=True)
    column_page = Paginator(list(ordered_functions), per_column_page).get_page(columns)
    shown_functions = JobFunction.objects.in_bulk(list(column_page.object_list))
    functions = column_page.object_list = [shown_functions[pk] for pk in column_page.object_list]
    column = {jf.pk: i for i, jf in enumerate(functions)}
    entries = list(
        MatrixEntry.objects.filter(job_function__in=column, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .values_list("pk", "job_function_id", "requirement_id", "curriculum_id")
    )
    curricula = {c for _, _, _, c in entries if c}
    items: dict[int, list[int]] = defaultdict(list)
    for curriculum_id, requirement_id in CurriculumItem.objects.filter(
        curriculum_id__in=curricula
    ).values_list("curriculum_id", "requirement_id"):
        items[curriculum_id].append(requirement_id)
    visible = training_queries.requirements(user)
    cells: dict[int, dict[int, tuple[int, bool]]] = defaultdict(dict)
    for pk, function_id, requirement_id, curriculum_id in entries:
        targets = (
            [(requirement_id, False)]
            if requirement_id
            else [(r, True) for r in items[curriculum_id]]
        )
        for target, via in targets:
            cells[target][column[function_id]] = (pk, via)
    # The rows' requirements as one parameter, not one per id: a column page reaches
    # hundreds of requirements (446 on the medium plant: 2.4 ms as a list, 1.0 ms as one
    # parameter on PostgreSQL; SQLite 1.0 and 0.5 ms).
    ordered = list(
        visible.filter(Among("pk", cells)).order_by("code", "pk").values_list("pk", flat=True)
    )
    shown = Paginator(ordered, per_page).get_page(page)
    requirements = Requirement.objects.in_bulk(list(shown.object_list))
    wanted = {cells[r][c][0] for r in shown.object_list for c in cells[r]}
    rows_of = {
        entry.pk: entry
        for entry in MatrixEntry.objects.select_related("curriculum").filter(Among("pk", wanted))
    }
    # An entry's job function is its column's and its requirement its row's, both read
    # above: joining them again made three more model rows per cell.
    for entry in rows_of.values():
        entry.job_function = shown_functions[entry.job_function_id]
        if entry.requirement_id is not None:
            entry.requirement = requirements[entry.requirement_id]
    # Q10 (P70): who is in grace in the cells shown, the one query the API also calls;
    # no read at all when no requirement on the page allows grace.
    grace = grace_by_cell(
        in_grace_on_matrix(user, at=at, requirements=requirements.values(), functions=functions)
    )
    rows = []
    for requirement_id in shown.object_list:
        row: list[Cell | None] = [None] * len(functions)
        for index, (entry_pk, via) in cells[requirement_id].items():
            graced = grace.get((requirement_id, functions[index].pk), [])
            row[index] = Cell(rows_of[entry_pk], via, graced)
        rows.append((requirements[requirement_id], row))
    return MatrixPage(functions, rows, shown, column_page)


# Issue 18 (P210): how long a page of the matrix stands when nothing is recorded; an
# entry comes into force or ends, and a grace ends, with time alone.
MATRIX_SECONDS = 60


def matrix_page(
    user,
    *,
    site=None,
    department=None,
    framework=None,
    job_function=None,
    page: int | str | None = 1,
    columns: int | str | None = 1,
) -> tuple[dt.datetime, MatrixPage]:
    """`matrix_grid(user, at=taken_at, ...)`, remembered while the audit trail's head
    stands and for at most MATRIX_SECONDS (qualify.audit.memo): every change to an
    entry, a requirement, a job function or who is in grace is recorded there. The
    page is the same for users of the same clients and reach (U2), whose key it is."""
    filters = {
        "site": site,
        "department": department,
        "framework": framework,
        "job_function": job_function,
    }
    scope = (
        view_scope(user, policy.MATRIX),
        tuple((name, getattr(value, "pk", None)) for name, value in filters.items()),
        str(page),
        str(columns),
    )
    return while_unchanged(
        "matrix-page",
        scope,
        lambda at: matrix_grid(user, at=at, page=page, columns=columns, **filters),
        seconds=MATRIX_SECONDS,
    )


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


# Issue 18 (P171): how long the dashboard's figures stand when nothing is recorded;
# an assignment falls overdue with time alone, so the figures are taken again after it.
DASHBOARD_SECONDS = 60


@dataclass(frozen=True)
class Dashboard:
    taken_at: dt.datetime
    groups: list[tuple[str, list[ComplianceRow]]]


def view_scope(user, area: str) -> tuple:
    """What besides the records a remembered answer depends on: the user's clients (U2)
    and their reach on `area` (policy); a reach short of all is the user's own, so it
    is not shared."""
    clients = restricted_clients(user)
    level = policy.reach(user, area)
    return (
        None if clients is None else tuple(sorted(clients)),
        level,
        None if level == policy.ALL else user.pk,
    )


def _dashboard_scope(user) -> tuple:
    # The framework figure is judged on the assignments the user may see.
    return view_scope(user, policy.ASSIGNMENTS)


def compliance_groups(user, *, at: dt.datetime) -> list[tuple[str, list[ComplianceRow]]]:
    """Q6 by site, department, job function and framework at `at`, as `user` sees it."""
    summary = training_queries.compliance_summary
    return [
        ("Site", summary(by="site", at=at, user=user)),
        ("Department", summary(by="department", at=at, user=user)),
        ("Job function", summary(by="job_function", at=at, user=user)),
        ("Framework", compliance_by_framework(at=at, user=user)),
    ]


# Issue 18: the rows of a group one page shows, so the dashboard of a plant with 250 job
# functions is no larger than that of one with 50; the whole list is the compliance
# report. Each group pages on its own, by the query parameter named by the report's
# name of its dimension.
DASHBOARD_ROWS = 50
GROUP_KEYS = {label: key for key, label in compliance_report.LABELS.items()}


@dataclass(frozen=True)
class DashboardGroup:
    label: str
    key: str  # its page's query parameter; the compliance report's "by"
    page: Page
    previous: str  # the query string of its previous page, "" on the first
    next: str


def dashboard_groups(dashboard: Dashboard, asked: QueryDict) -> list[DashboardGroup]:
    """Each group of `dashboard` cut to the page `asked` names for it; the links to a
    group's other pages keep the pages asked for the other groups."""

    def query(key: str, number: int) -> str:
        other = asked.copy()
        other[key] = str(number)
        return other.urlencode()

    out = []
    for label, rows in dashboard.groups:
        key = GROUP_KEYS[label]
        page = Paginator(rows, DASHBOARD_ROWS).get_page(asked.get(key))
        previous = query(key, page.previous_page_number()) if page.has_previous() else ""
        following = query(key, page.next_page_number()) if page.has_next() else ""
        out.append(DashboardGroup(label, key, page, previous, following))
    return out


def compliance_dashboard(user) -> Dashboard:
    """The dashboard's figures now, remembered while nothing is recorded in the audit
    trail and for at most DASHBOARD_SECONDS (qualify.audit.memo), shared by the users
    who see the same (U2). Issue 18: four GROUP BYs over the plant are at their floor;
    what a page view can save is doing them again for an unchanged plant."""
    taken_at, groups = while_unchanged(
        "compliance-dashboard",
        _dashboard_scope(user),
        lambda at: compliance_groups(user, at=at),
        seconds=DASHBOARD_SECONDS,
    )
    return Dashboard(taken_at, groups)


# Issue 18: how long a page of effectiveness figures stands when nothing is recorded.
EFFECTIVENESS_SECONDS = 60
EFFECTIVENESS_PAGE_SIZE = 50


@dataclass
class Table:
    """One page of a table: how many rows the whole table has, which page, its rows."""

    count: int
    number: int
    rows: list

    def page(self) -> Page:
        shown = Paginator(range(self.count), EFFECTIVENESS_PAGE_SIZE).get_page(self.number)
        shown.object_list = self.rows
        return shown


def _effectiveness_tables(user, days: int, documents, trainers) -> tuple[Table, Table]:
    subjects = training_effectiveness_subjects(training_queries.training_records(user))
    tables = []
    pages = []
    for rows, number in ((subjects.documents, documents), (subjects.trainers, trainers)):
        page = Paginator(rows, EFFECTIVENESS_PAGE_SIZE).get_page(number)
        pages.append([s.key for s in page])
        tables.append(Table(len(rows), page.number, []))
    figures = subjects.figures(
        visible_deviations(user), days=days, documents=pages[0], trainers=pages[1]
    )
    for table, kind in zip(tables, ("document", "trainer"), strict=True):
        table.rows = [r for r in figures if r.kind == kind]
    return tables[0], tables[1]


def effectiveness_page(user, *, days: int, documents, trainers) -> tuple[dt.datetime, Table, Table]:
    """Page `documents` of the per-document table and page `trainers` of the per-trainer
    table of training effectiveness as `user` sees it (the report's figures, asked for
    the pages' rows only, P168), remembered while the audit trail's head stands and for
    at most EFFECTIVENESS_SECONDS (qualify.audit.memo), shared by users who see the same
    records and deviations (U2)."""
    scope = (view_scope(user, policy.RECORDS), days, documents, trainers)
    taken_at, (by_document, by_trainer) = while_unchanged(
        "effectiveness-page",
        scope,
        lambda _at: _effectiveness_tables(user, days, documents, trainers),
        seconds=EFFECTIVENESS_SECONDS,
    )
    return taken_at, by_document, by_trainer
