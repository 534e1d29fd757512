"""Training coordinator: training requirements (Q3, Q8) and curricula with ordered
items and prerequisites. Each page calls one training service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render

from qualify.audit import access
from qualify.training import queries as training_queries
from qualify.training.models import Curriculum, CurriculumItem, Requirement
from qualify.training.services import curriculum_create, curriculum_item_add, requirement_create
from qualify.web.coordinator.forms import CurriculumForm, CurriculumItemForm, RequirementForm
from qualify.web.documents.kit import show_errors
from qualify.web.lookup import queries as lookup

MANAGE = "training.manage_requirements"
VIEW = "training.view_requirement"
VIEW_CURRICULA = "training.view_curriculum"
PAGE_SIZE = 50


def _requirements(user):
    return training_queries.requirements(user)


def requirement_list(request):
    rows = _requirements(request.user).order_by("code")
    text = request.GET.get("q", "").strip()
    if text:
        rows = rows.filter(Q(code__icontains=text) | Q(title__icontains=text))
    # Issue 18: a page of the requirements (it showed the first 500 and no more).
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    # P141: which records a list showed goes to the access log, as an opening does.
    access.note_shown(shown, user=request.user, path=request.path)
    return render(
        request,
        "web/coordinator/requirements.html",
        {"rows": shown, "page": page, "q": text, "may_manage": request.user.has_perm(MANAGE)},
    )


def requirement_new(request):
    form = RequirementForm(
        request.POST or None,
        documents=lookup.OPEN_DOCUMENTS.rows(request.user),
        requirements=lookup.REQUIREMENTS.rows(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["evidence_required"] = data["evidence_required"] or None
        try:
            requirement = requirement_create(actor=request.user, **data)
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(request, f"Requirement {requirement.code} defined.")
            return redirect("web:coordinator_requirements")
    return render(
        request,
        "web/coordinator/requirement_new.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def curriculum_list(request):
    rows = Curriculum.objects.prefetch_related(
        Prefetch("items", queryset=CurriculumItem.objects.select_related("requirement"))
    ).order_by("code")
    form = CurriculumForm(request.POST or None) if request.user.has_perm(MANAGE) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only a training coordinator can define curricula.")
        if form.is_valid():
            try:
                curriculum = curriculum_create(actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                show_errors(exc, form)
            else:
                messages.success(request, f"Curriculum {curriculum.code} created; add its items.")
                return redirect("web:coordinator_curriculum", pk=curriculum.pk)
    return render(
        request,
        "web/coordinator/curricula.html",
        {"rows": rows, "form": form},
        status=422 if form is not None and form.errors else 200,
    )


def curriculum_detail(request, pk: int):
    curriculum = get_object_or_404(Curriculum, pk=pk)
    items = list(
        curriculum.items.select_related("requirement", "prerequisite").order_by("position")
    )
    # U2: a restricted user sees only the items of the clients they may see.
    visible = set(
        _requirements(request.user)
        .filter(pk__in=[i.requirement_id for i in items])
        .values_list("pk", flat=True)
    )
    items = [i for i in items if i.requirement_id in visible]
    form = None
    if request.user.has_perm(MANAGE):
        form = CurriculumItemForm(
            request.POST or None,
            requirements=_requirements(request.user)
            .filter(active=True)
            .exclude(pk__in=[i.requirement_id for i in items])
            .order_by("code"),
            earlier=Requirement.objects.filter(pk__in=[i.requirement_id for i in items]).order_by(
                "code"
            ),
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only a training coordinator can change curricula.")
        if form.is_valid():
            try:
                item = curriculum_item_add(
                    actor=request.user, curriculum=curriculum, **form.cleaned_data
                )
            except (ValidationError, PermissionDenied) as exc:
                show_errors(exc, form)
            else:
                messages.success(
                    request, f"{item.requirement.code} added at position {item.position}."
                )
                return redirect("web:coordinator_curriculum", pk=curriculum.pk)
    return render(
        request,
        "web/coordinator/curriculum.html",
        {"curriculum": curriculum, "items": items, "form": form},
        status=422 if form is not None and form.errors else 200,
    )
