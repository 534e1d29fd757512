"""Training coordinator: job functions, the matrix (grid, changes signed by QA),
people and their job history, assignments with filters, the compliance dashboard."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qualify.audit import access
from qualify.org.models import Department, Framework, Site
from qualify.org.queries import job_assignments, job_functions, person_text_match
from qualify.org.queries import people as people_query
from qualify.org.scoping import restrict
from qualify.paging import KeysFirstPaginator
from qualify.training import queries as training_queries
from qualify.training.models import MatrixEntry
from qualify.training.services import matrix_entry_add, matrix_entry_end
from qualify.training.services.matrix import ENDING
from qualify.web.approver_signing import carried_url
from qualify.web.coordinator import assignment_rows
from qualify.web.coordinator.forms import (
    AssignmentFilterForm,
    MatrixAddForm,
    MatrixEndForm,
    MatrixFilterForm,
)
from qualify.web.coordinator.matrix_cells import cell_rows
from qualify.web.coordinator.queries import (
    compliance_dashboard,
    dashboard_groups,
    job_function_overview_page,
    matrix_page,
)
from qualify.web.documents.kit import set_zone, show_errors, user_zone
from qualify.web.lookup import queries as lookup
from qualify.web.lookup.fields import TEXT_SUFFIX

MATRIX = "training.change_matrix"
VIEW_MATRIX = "training.view_matrixentry"
PEOPLE = "org.manage_people"
VIEW_PEOPLE = "org.view_person"
ASSIGN = "training.assign_training"
VIEW_ASSIGNMENTS = "training.view_assignment"


def job_function_list(request):
    # Issue 18 (P167, P179): a page of the job functions; each shown row's counts are
    # correlated subqueries, so the page's cost follows the page, not the plant.
    taken_at, page = job_function_overview_page(request.user, request.GET.get("page"))
    return render(
        request,
        "web/coordinator/job_functions.html",
        {
            "rows": page.object_list,
            "page": page,
            "taken_at": taken_at,
            "zone": user_zone(request.user),
        },
    )


def matrix(request):
    """Issue 18: one filtered page of the grid; the whole grid is the matrix report."""
    form = MatrixFilterForm(
        request.GET or None,
        sites=Site.objects.order_by("code"),
        departments=Department.objects.select_related("site").order_by("site__code", "code"),
        frameworks=Framework.objects.order_by("code"),
        job_functions=job_functions(request.user).filter(active=True).order_by("code"),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    taken_at, grid = matrix_page(
        request.user,
        site=filters.get("site"),
        department=filters.get("department"),
        framework=filters.get("framework"),
        job_function=filters.get("job_function"),
        page=request.GET.get("page"),
        columns=request.GET.get("columns"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    # Another column page has other rows: it starts again at the first page of rows.
    filters_only = query.copy()
    filters_only.pop("columns", None)
    zone = user_zone(request.user)
    return render(
        request,
        "web/coordinator/matrix.html",
        {
            "form": form,
            "functions": grid.functions,
            "rows": cell_rows(grid.rows, zone=zone, may_end=request.user.has_perm(MATRIX)),
            "page": grid.page,
            "column_page": grid.column_page,
            "query": query.urlencode(),
            "filters_query": filters_only.urlencode(),
            "zone": zone,
            "taken_at": taken_at,
        },
    )


# The values a matrix change's page takes from its address: the links that preselect
# a job function or requirement, and what was typed before the QA approver went to
# the identity provider (issue 16).
MATRIX_ADD_FIELDS = (
    "job_function",
    "requirement",
    "valid_from",
    "window_days",
    "reason",
    "qa_username",
)
MATRIX_END_FIELDS = ("valid_to", "reason", "qa_username")


def _carried(request, names: tuple[str, ...]) -> dict:
    carried = {name: request.GET[name] for name in names if request.GET.get(name)}
    for name in names:
        # A lookup's typed key comes back beside its ticked id, as posted.
        if request.GET.get(name + TEXT_SUFFIX):
            carried[name] = {
                "ids": request.GET.getlist(name),
                "text": request.GET[name + TEXT_SUFFIX],
            }
    return carried


def _qa_actor(username: str):
    User = get_user_model()
    return User.objects.filter(username__iexact=(username or "").strip(), is_active=True).first()


def matrix_add(request):
    zone = user_zone(request.user)
    form = MatrixAddForm(
        request.POST or None,
        initial=_carried(request, MATRIX_ADD_FIELDS),
        job_functions=job_functions(request.user).filter(active=True).order_by("code"),
        requirements=lookup.REQUIREMENTS.rows(request.user),
    )
    set_zone(form, zone)
    # Issue 16: the QA approver's signature is bound to the job function the change
    # is about (the entry exists only once signed).
    form.approver_through_provider(
        meaning="approved",
        subject=form.fields["job_function"].named(request.POST or request.GET, "job_function"),
        return_url=carried_url(request.path, request.POST or request.GET),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        qa_actor = _qa_actor(data["qa_username"])
        if qa_actor is None:
            form.add_error("qa_username", "No active user has this user id.")
        else:
            try:
                entry = matrix_entry_add(
                    actor=request.user,
                    job_function=data["job_function"],
                    requirement=data["requirement"],
                    valid_from=data["valid_from"],
                    window_days=data["window_days"],
                    reason=data["reason"],
                    qa_actor=qa_actor,
                    qa_credentials=form.qa_credentials(),
                )
            except (ValidationError, PermissionDenied) as exc:
                if hasattr(exc, "error_dict"):
                    for old, new in (
                        ("qa_actor", "qa_username"),
                        ("username", "qa_username"),
                        ("password", "qa_password"),
                    ):
                        if old in exc.error_dict:
                            exc.error_dict.setdefault(new, []).extend(exc.error_dict.pop(old))
                show_errors(exc, form)
            else:
                made = len(entry.created_assignments)
                messages.success(
                    request,
                    f"{entry.job_function.code} now requires {entry.requirement.code}, approved by "
                    f"{qa_actor.printed_name}; {made} holder{'s' if made != 1 else ''} assigned.",
                )
                return redirect("web:coordinator_matrix")
    return render(
        request,
        "web/coordinator/matrix_add.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _qa_errors_on_form(exc):
    """The signing service names the QA approver's fields as the signer's own."""
    if hasattr(exc, "error_dict"):
        for old, new in (
            ("qa_actor", "qa_username"),
            ("username", "qa_username"),
            ("password", "qa_password"),
        ):
            if old in exc.error_dict:
                exc.error_dict.setdefault(new, []).extend(exc.error_dict.pop(old))
    return exc


def matrix_end(request, pk: int):
    entry = get_object_or_404(
        restrict(
            MatrixEntry.objects.select_related("job_function", "requirement", "curriculum"),
            request.user,
            "job_function__client",
        ),
        pk=pk,
    )
    zone = user_zone(request.user)
    form = MatrixEndForm(request.POST or None, initial=_carried(request, MATRIX_END_FIELDS))
    set_zone(form, zone)
    form.approver_through_provider(
        meaning=ENDING,
        subject=entry,
        return_url=carried_url(request.path, request.POST or request.GET),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        qa_actor = _qa_actor(data["qa_username"])
        if qa_actor is None:
            form.add_error("qa_username", "No active user has this user id.")
        else:
            try:
                matrix_entry_end(
                    actor=request.user,
                    entry=entry,
                    reason=data["reason"],
                    valid_to=data["valid_to"],
                    qa_actor=qa_actor,
                    qa_credentials=form.qa_credentials(),
                )
            except (ValidationError, PermissionDenied) as exc:
                show_errors(_qa_errors_on_form(exc), form)
            else:
                messages.success(request, f"Ended: {entry}, approved by {qa_actor.printed_name}.")
                return redirect("web:coordinator_matrix")
    return render(
        request,
        "web/coordinator/matrix_end.html",
        {"entry": entry, "form": form, "zone": zone},
        status=422 if form.errors else 200,
    )


def people(request):
    text = request.GET.get("q", "").strip()
    rows = people_query(request.user).order_by("full_name")
    if text:
        rows = rows.filter(person_text_match(text))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "web/coordinator/people.html", {"page": page, "q": text})


def person_detail(request, pk: int):
    person = get_object_or_404(people_query(request.user), pk=pk)
    access.note(person, user=request.user, path=request.path)
    # U2: the job history and open assignments of the user's clients only.
    history = job_assignments(request.user).filter(person=person).order_by("valid_from", "pk")
    open_assignments = training_queries.assignments(
        person=person, status="open", user=request.user
    ).only(*assignment_rows.FIELDS)
    return render(
        request,
        "web/coordinator/person.html",
        {
            "person": person,
            "history": history,
            "assignments": open_assignments,
            "now": timezone.now(),
            "zone": person.site.time_zone,
        },
    )


def assignments(request):
    visible_functions = job_functions(request.user).order_by("code")
    form = AssignmentFilterForm(
        request.GET or None,
        sites=Site.objects.order_by("code"),
        departments=Department.objects.select_related("site").order_by("site__code", "code"),
        job_functions=visible_functions,
    )
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        zone = user_zone(request.user)
        due_before = None
        if data["due_before"]:
            due_before = dt.datetime.combine(data["due_before"], dt.time(), ZoneInfo(zone))
        filters = {
            "site": data["site"],
            "department": data["department"],
            "job_function": data["job_function"],
            "status": data["status"] or None,
            "overdue": {"yes": True, "no": False}.get(data["overdue"]),
            "due_before": due_before,
        }
    rows = training_queries.assignments(**filters, user=request.user).only(*assignment_rows.FIELDS)
    page = KeysFirstPaginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/coordinator/assignments.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "now": timezone.now(),
            "zone": user_zone(request.user),
        },
    )


def dashboard(request):
    figures = compliance_dashboard(request.user)
    return render(
        request,
        "web/coordinator/dashboard.html",
        {
            "groups": dashboard_groups(figures, request.GET),
            "taken_at": figures.taken_at,
            "zone": user_zone(request.user),
        },
    )
