"""Quality: change controls, CAPAs, deviations, executions and batches, each with its
training picture and, on closing, the list of what stands in the way (E2)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qualify.audit import access
from qualify.edge import whole_number
from qualify.org.queries import clients as client_query
from qualify.quality import queries
from qualify.quality import services as quality
from qualify.quality.models import Capa, CapaSource, ChangeControl, Deviation
from qualify.quality.queries import work
from qualify.quality.services import QualityRefused
from qualify.signatures.queries import signature_checks
from qualify.web.documents.kit import SigningForm, set_zone, show_errors, user_zone
from qualify.web.lookup import queries as lookup
from qualify.web.quality.forms import ActionForm, CapaForm, CloseForm, CommentForm, CompleteForm

VIEW = (
    "quality.manage_capa",
    "quality.manage_change_control",
    "quality.close_quality_event",
    "quality.view_capa",
    "quality.view_changecontrol",
    "quality.view_deviation",
)
MANAGE_CAPA = "quality.manage_capa"
MANAGE_CC = "quality.manage_change_control"
REPORT = "quality.report_deviation"
CLOSE = "quality.close_quality_event"

KINDS = {
    "change-controls": {
        "model": ChangeControl,
        "rows": queries.change_controls,
        "label": "Change controls",
        "open_items": queries.change_control_open_items,
        "close": lambda actor, obj, creds, comment: quality.change_control_close(
            actor=actor, change_control=obj, credentials=creds, comment=comment
        ),
    },
    "capas": {
        "model": Capa,
        "rows": queries.capas,
        "label": "CAPAs",
        "open_items": queries.capa_open_items,
        "close": lambda actor, obj, creds, comment: quality.capa_close(
            actor=actor, capa=obj, credentials=creds, comment=comment
        ),
    },
    "deviations": {
        "model": Deviation,
        "rows": queries.deviations,
        "label": "Deviations",
        "open_items": queries.deviation_open_items,
        "close": lambda actor, obj, creds, comment: quality.deviation_close(
            actor=actor, deviation=obj, credentials=creds, comment=comment
        ),
    },
}


def _kind(kind: str) -> dict:
    if kind not in KINDS:
        raise Http404("No such kind of quality record.")
    return KINDS[kind]


def overview(request):
    counts = {
        kind: {
            "label": spec["label"],
            "open": spec["rows"](request.user).exclude(status="closed").count(),
            "all": spec["rows"](request.user).count(),
        }
        for kind, spec in KINDS.items()
    }
    return render(
        request,
        "web/quality/overview.html",
        {"counts": counts, "executions": queries.executions(request.user).count()},
    )


def event_list(request, kind: str):
    spec = _kind(kind)
    rows = spec["rows"](request.user)  # each model's own order (deviations: occurred_at)
    status = request.GET.get("status", "")
    if status in ("open", "closed"):
        rows = rows.filter(status="closed") if status == "closed" else rows.exclude(status="closed")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    # P141: which records a list showed goes to the access log, as an opening does.
    access.note_shown(page.object_list, user=request.user, path=request.path)
    return render(
        request,
        "web/quality/list.html",
        {
            "kind": kind,
            "label": spec["label"],
            "page": page,
            "status": status,
            "query": f"status={status}" if status else "",
            "zone": user_zone(request.user),
        },
    )


def _detail_context(request, kind, obj, **extra):
    spec = _kind(kind)
    context = {
        "kind": kind,
        "label": spec["label"],
        "obj": obj,
        "picture": queries.training_picture(obj),
        "open_items": spec["open_items"](obj),
        "checks": signature_checks(obj),
        "zone": user_zone(request.user),
        "now": timezone.now(),
        "may_close": request.user.has_perm(CLOSE) and obj.status != "closed",
        "close_form": CloseForm(),
        "sign_form": SigningForm(
            user=request.user, session=request.session, meaning="closed", subject=obj
        ),
        "object_type": obj._meta.label_lower,
    }
    if isinstance(obj, Capa):
        actions = list(obj.actions.select_related("owner", "requirement").order_by("pk"))
        for action in actions:
            action.checks = signature_checks(action)
            action.review_list = list(action.reviews.select_related("reviewer").order_by("pk"))
            for review in action.review_list:
                review.checks = signature_checks(review)
        context["actions"] = actions
        context["may_manage"] = request.user.has_perm(MANAGE_CAPA) and obj.status != "closed"
        context["may_qa_review"] = (
            context["may_manage"] and obj.qa_review_required and obj.qa_reviewed_at is None
        )
    if isinstance(obj, ChangeControl):
        context["revisions"] = obj.revisions.select_related("version__document")
        context["documents"] = obj.affected_documents.all()
        context["job_functions"] = obj.affected_job_functions.all()
        may_cc = request.user.has_perm(MANAGE_CC)
        context["may_approve"] = (
            may_cc and obj.status == "draft" and obj.created_by_id != request.user.pk
        )
        context["may_link"] = may_cc and obj.status in ("draft", "approved")
        context.setdefault("approve_form", CommentForm())
        context.setdefault(
            "approve_sign_form",
            SigningForm(
                user=request.user, session=request.session, meaning="approved", subject=obj
            ),
        )
    if isinstance(obj, Deviation):
        context["snapshot"] = obj.snapshot.select_related("person", "document")
        context["people"] = obj.people.all()
        context["documents"] = obj.documents.all()
    context.update(extra)
    return context


def render_detail(request, kind: str, obj, status: int = 200, **extra):
    context = _detail_context(request, kind, obj, **extra)
    return render(request, "web/quality/detail.html", context, status=status)


def event_detail(request, kind: str, pk: int):
    # An operator reaches only the deviations they reported (the query's own reach).
    obj = get_object_or_404(_kind(kind)["rows"](request.user), pk=pk)
    access.note(obj, user=request.user, path=request.path)
    return render_detail(request, kind, obj)


def event_close(request, kind: str, pk: int):
    """Calls the close service: its refusal lists what is open (E2)."""
    spec = _kind(kind)
    obj = get_object_or_404(spec["rows"](request.user), pk=pk)
    if request.method != "POST":
        return redirect("web:quality_detail", kind=kind, pk=pk)
    form = CloseForm(request.POST)
    sign_form = SigningForm(
        request.POST, user=request.user, session=request.session, meaning="closed", subject=obj
    )
    refusal = []
    if form.is_valid() and sign_form.is_valid():
        try:
            spec["close"](request.user, obj, sign_form.credentials(), form.cleaned_data["comment"])
        except QualityRefused as exc:
            refusal = exc.items
            form.add_error(None, f"{obj} cannot close yet: {len(exc.items)} item(s) open.")
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, sign_form, form)
        else:
            messages.success(request, f"{obj} closed, signed. {work.next_actor(work.CLOSED)}")
            return redirect("web:quality_detail", kind=kind, pk=pk)
    context = _detail_context(
        request, kind, obj, close_form=form, sign_form=sign_form, refusal=refusal
    )
    return render(request, "web/quality/detail.html", context, status=422)


def capa_new(request):
    """Raise a CAPA; from a deviation's page (?deviation=<id>) the source, the deviation
    and its client are filled in."""
    deviations = lookup.DEVIATIONS.rows(request.user)
    initial = {}
    raised_from = request.GET.get("deviation", "")
    number = whole_number(raised_from)
    if number is not None:
        deviation = deviations.filter(pk=number).first()
        if deviation is not None:
            initial = {
                "source": CapaSource.DEVIATION,
                "deviation": deviation.pk,
                "source_reference": deviation.number,
                "client": deviation.client_id,
            }
    form = CapaForm(
        request.POST or None,
        initial=initial,
        clients=client_query(request.user),
        deviations=deviations,
    )
    if request.method == "POST" and form.is_valid():
        try:
            capa = quality.capa_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(request, f"{capa.number} raised. {work.next_actor(work.CAPA_RAISED)}")
            return redirect("web:quality_detail", kind="capas", pk=capa.pk)
    return render(request, "web/quality/capa_new.html", {"form": form})


def capa_action_new(request, pk: int):
    capa = get_object_or_404(queries.capas(request.user), pk=pk)
    form = ActionForm(request.POST or None, owners=lookup.ACCOUNTS.rows(request.user))
    set_zone(form, user_zone(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            action = quality.capa_action_add(actor=request.user, capa=capa, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(
                request,
                f"Action added to {capa.number}. {work.next_actor(work.ACTION_ADDED, action)}",
            )
            return redirect("web:quality_detail", kind="capas", pk=capa.pk)
    return render(request, "web/quality/action_new.html", {"capa": capa, "form": form})


def capa_action_complete(request, pk: int):
    action = get_object_or_404(queries.capa_actions(request.user), pk=pk)
    form = CompleteForm(request.POST or None)
    sign_form = SigningForm(
        request.POST or None,
        user=request.user,
        session=request.session,
        meaning="verified",
        subject=action,
    )
    if request.method == "POST" and form.is_valid() and sign_form.is_valid():
        try:
            quality.capa_action_complete(
                actor=request.user,
                action=action,
                credentials=sign_form.credentials(),
                comment=form.cleaned_data["comment"],
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, sign_form, form)
        else:
            messages.success(
                request,
                "Action completed and verified, signed. " + work.next_actor(work.ACTION_COMPLETED),
            )
            return redirect("web:quality_detail", kind="capas", pk=action.capa_id)
    return render(
        request,
        "web/quality/action_complete.html",
        {"action": action, "form": form, "sign_form": sign_form},
        status=422 if form.errors or sign_form.errors else 200,
    )


def batches(request):
    rows = queries.batches(request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request, "web/quality/batches.html", {"page": page, "zone": user_zone(request.user)}
    )


def batch_detail(request, batch: str):
    rows = queries.batch_record(batch, user=request.user)
    if not rows:
        raise Http404("No execution on this batch.")
    return render(
        request,
        "web/quality/batch.html",
        {"batch": batch, "rows": rows, "zone": user_zone(request.user)},
    )
