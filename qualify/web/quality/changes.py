"""Quality: raise a change control, approve it by e-signature, link the revisions made
under it; report a deviation, whose page then shows the stored qualification snapshot
(Q4 at the moment it happened, as known then and now, Q7)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from qualify.documents import queries as document_queries
from qualify.documents.models import VersionStatus
from qualify.org.models import Site
from qualify.org.queries import clients as client_query
from qualify.quality import queries
from qualify.quality import services as quality
from qualify.quality.models import ChangeControl, ChangeControlRevision
from qualify.web.documents.kit import SigningForm, set_zone, show_errors, user_zone
from qualify.web.lookup import queries as lookup
from qualify.web.quality.forms import (
    ChangeControlForm,
    CommentForm,
    DeviationForm,
    LinkRevisionForm,
)

MANAGE_CC = "quality.manage_change_control"
REPORT = "quality.report_deviation"


def change_control_new(request):
    form = ChangeControlForm(
        request.POST or None,
        sites=Site.objects.order_by("code"),
        documents=lookup.OPEN_DOCUMENTS.rows(request.user),
        job_functions=lookup.JOB_FUNCTIONS.rows(request.user),
        clients=client_query(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            cc = quality.change_control_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(request, f"{cc.number} raised. Another person approves it.")
            return redirect("web:quality_detail", kind="change-controls", pk=cc.pk)
    return render(
        request,
        "web/quality/change_control_new.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def linkable_versions(cc: ChangeControl, user):
    """Revisions of the change's documents that no change control covers yet."""
    return (
        document_queries.versions(user)
        .filter(document__in=cc.affected_documents.all())
        .exclude(status=VersionStatus.WITHDRAWN)
        .exclude(pk__in=ChangeControlRevision.objects.values("version_id"))
        .order_by("document__number", "-pk")
    )


def change_control_approve(request, pk: int):
    """S1, S2: approved by e-signature, never by the person who raised it."""
    from qualify.web.quality.views import render_detail

    cc = get_object_or_404(queries.change_controls(request.user), pk=pk)
    if request.method != "POST":
        return redirect("web:quality_detail", kind="change-controls", pk=pk)
    form = CommentForm(request.POST)
    sign_form = SigningForm(
        request.POST, user=request.user, session=request.session, meaning="approved", subject=cc
    )
    if form.is_valid() and sign_form.is_valid():
        try:
            quality.change_control_approve(
                actor=request.user,
                change_control=cc,
                credentials=sign_form.credentials(),
                comment=form.cleaned_data["comment"],
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, sign_form, form)
        else:
            messages.success(request, f"{cc.number} approved, signed.")
            return redirect("web:quality_detail", kind="change-controls", pk=pk)
    return render_detail(
        request, "change-controls", cc, status=422, approve_form=form, approve_sign_form=sign_form
    )


def change_control_link(request, pk: int):
    cc = get_object_or_404(queries.change_controls(request.user), pk=pk)
    form = LinkRevisionForm(request.POST or None, versions=linkable_versions(cc, request.user))
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"]
        try:
            quality.change_control_link_revision(
                actor=request.user, change_control=cc, version=version
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(
                request, f"{version.document.number} rev {version.revision} linked to {cc.number}."
            )
            return redirect("web:quality_detail", kind="change-controls", pk=pk)
    return render(
        request,
        "web/quality/change_control_link.html",
        {"cc": cc, "form": form},
        status=422 if form.errors else 200,
    )


def deviation_new(request):
    zone = user_zone(request.user)
    person = getattr(request.user, "person", None)
    form = DeviationForm(
        request.POST or None,
        initial={"site": person.site_id if person else None},
        sites=Site.objects.order_by("code"),
        people=lookup.PEOPLE.rows(request.user),
        documents=lookup.DOCUMENTS.rows(request.user),
        clients=client_query(request.user),
    )
    set_zone(form, zone)
    if request.method == "POST" and form.is_valid():
        try:
            deviation = quality.deviation_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(
                request, f"{deviation.number} reported; the qualification snapshot is stored."
            )
            return redirect("web:quality_detail", kind="deviations", pk=deviation.pk)
    return render(
        request,
        "web/quality/deviation_new.html",
        {"form": form},
        status=422 if form.errors else 200,
    )
