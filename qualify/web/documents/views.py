"""Document control: documents and their versions, revisions uploaded, routed for
review and approval with signatures, the impact preview before approval (G3)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qualify.audit import access
from qualify.documents import queries, reviews
from qualify.documents import services as documents
from qualify.documents.models import DocumentType, VersionStatus
from qualify.quality.queries import work
from qualify.signatures.queries import signature_checks
from qualify.training.services import impact_preview
from qualify.web.documents.forms import (
    ApproveForm,
    ObsoleteForm,
    ReviewForm,
    RevisionForm,
    WithdrawForm,
)
from qualify.web.documents.kit import SigningForm, set_zone, show_errors, user_zone
from qualify.web.files import serve_upload

VIEW = "documents.view_document"
MANAGE = "documents.manage_documents"
APPROVE = "documents.approve_version"
REVIEW = "signatures.sign_reviewed"
OBSOLETE = "documents.obsolete_document"


def _document(request, number: str):
    document = queries.document_by_number(number, request.user)
    if document is None:
        raise Http404("No such document.")
    return document


def _version(request, pk: int):
    return get_object_or_404(queries.versions(request.user), pk=pk)


def document_list(request):
    """Issue 18: one page of the documents, searched by number or title and filtered
    by type; the versions are read for that page only."""
    text = request.GET.get("q", "").strip()
    kind = request.GET.get("type", "")
    page, table = queries.document_list_page(
        request.user, text=text, kind=kind, number=request.GET.get("page"), at=timezone.now()
    )
    # P141: which records a list showed goes to the access log, as an opening does.
    access.note_shown([r["document"] for r in table], user=request.user, path=request.path)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/documents/list.html",
        {
            "rows": table,
            "page": page,
            "q": text,
            "type": kind,
            "types": DocumentType.choices,
            "query": query.urlencode(),
            "zone": user_zone(request.user),
        },
    )


def document_detail(request, number: str):
    document = _document(request, number)
    access.note(document, user=request.user, path=request.path)
    now = timezone.now()
    versions = queries.versions_with_signatures(document)
    for version in versions:
        version.state_now = version.state_at(now)
        version.checks = signature_checks(version)  # manifestation, valid/broken (S1)
    open_version = next((v for v in versions if v.status in ("draft", "in_review")), None)
    return render(
        request,
        "web/documents/detail.html",
        {
            "document": document,
            "versions": versions,
            "open_version": open_version,
            "zone": user_zone(request.user),
            "may_manage": request.user.has_perm(MANAGE),
            "may_obsolete": request.user.has_perm(OBSOLETE) and document.obsolete_from is None,
            "may_review": request.user.has_perm(REVIEW),
            "status": reviews.review_status(document, at=now),
        },
    )


def revision_upload(request, number: str):
    document = _document(request, number)
    form = RevisionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = documents.version_draft(
                actor=request.user,
                document=document,
                revision=data["revision"],
                change_summary=data["change_summary"],
                retraining_required=data["retraining_required"],
                editorial_justification=data["editorial_justification"],
                file=data["file"],
                content_text=data["content_text"],
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(
                request, f"Revision {version.revision} drafted. Check it, then submit it."
            )
            return redirect("web:document_version", pk=version.pk)
    return render(request, "web/documents/revise.html", {"document": document, "form": form})


def _version_context(request, version, **extra):
    return {
        "version": version,
        "document": version.document,
        "state": version.state_at(timezone.now()),
        "checks": signature_checks(version),
        "zone": user_zone(request.user),
        "is_author": version.author_id == request.user.pk,
        "may_manage": request.user.has_perm(MANAGE),
        "may_review": request.user.has_perm(REVIEW),
        "may_approve": request.user.has_perm(APPROVE),
        **extra,
    }


def version_detail(request, pk: int):
    version = _version(request, pk)
    access.note(version, user=request.user, path=request.path)
    sign_form = SigningForm(
        user=request.user, session=request.session, meaning="authored", subject=version
    )
    context = _version_context(
        request,
        version,
        sign_form=sign_form,
        review_form=ReviewForm(),
        withdraw_form=WithdrawForm(),
    )
    return render(request, "web/documents/version.html", context)


def version_file(request, pk: int):
    version = _version(request, pk)
    if not version.file:
        raise Http404("This version has no file.")
    access.note(version, user=request.user, path=request.path)
    return serve_upload(version.file)  # sandboxed, nosniff, safe name (issue 10)


def _signed_action(request, pk, *, call, meaning, success, form_class=None):
    """POST a signed workflow step; on refusal show the version page with the errors."""
    version = _version(request, pk)
    if request.method != "POST":
        return redirect("web:document_version", pk=version.pk)
    form = (form_class or ReviewForm)(request.POST)
    sign_form = SigningForm(
        request.POST, user=request.user, session=request.session, meaning=meaning, subject=version
    )
    if form.is_valid() and sign_form.is_valid():
        try:
            call(version, form.cleaned_data, sign_form.credentials())
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, sign_form, form)
        else:
            step = {"authored": work.SUBMITTED, "reviewed": work.REVIEWED}.get(meaning)
            after = f" {work.next_actor(step, version)}" if step else ""
            messages.success(request, success + after)
            return redirect("web:document_version", pk=version.pk)
    context = _version_context(
        request,
        version,
        sign_form=sign_form,
        review_form=form,
        withdraw_form=WithdrawForm(),
        failed=meaning,
    )
    return render(request, "web/documents/version.html", context, status=422)


def version_submit(request, pk: int):
    return _signed_action(
        request,
        pk,
        meaning="authored",
        success="Submitted for review, signed as author.",
        call=lambda v, data, creds: documents.version_submit(
            actor=request.user, version=v, credentials=creds
        ),
    )


def version_review(request, pk: int):
    return _signed_action(
        request,
        pk,
        meaning="reviewed",
        success="Review signed.",
        call=lambda v, data, creds: documents.version_review(
            actor=request.user, version=v, credentials=creds, comment=data["comment"]
        ),
    )


def version_withdraw(request, pk: int):
    version = _version(request, pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            documents.version_withdraw(
                actor=request.user, version=version, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(request, f"Revision {version.revision} withdrawn.")
            return redirect("web:document_version", pk=version.pk)
    context = _version_context(
        request,
        version,
        sign_form=SigningForm(
            user=request.user, session=request.session, meaning="authored", subject=version
        ),
        review_form=ReviewForm(),
        withdraw_form=form,
        failed="withdraw",
    )
    return render(request, "web/documents/version.html", context, status=422)


def version_approve(request, pk: int):
    """The approval page: the impact preview (G3) for the chosen effective date, then
    the approval with QA's signature. The preview is re-drawn by htmx as the date
    changes (same view, fragment template)."""
    version = _version(request, pk)
    zone = user_zone(request.user)
    form = ApproveForm(request.POST or request.GET or None)
    set_zone(form, zone)
    form.fields["effective_from"].widget.attrs.update(
        {
            "hx-get": request.path,
            "hx-trigger": "change",
            "hx-target": "#impact",
            "hx-swap": "outerHTML",
        }
    )
    sign_form = SigningForm(
        request.POST or None,
        user=request.user,
        session=request.session,
        meaning="approved",
        subject=version,
    )
    effective_from = None
    if form.is_bound and form.is_valid():
        effective_from = form.cleaned_data["effective_from"]
    status = 200
    if request.method == "POST" and form.is_valid() and sign_form.is_valid():
        try:
            documents.version_approve(
                actor=request.user,
                version=version,
                credentials=sign_form.credentials(),
                effective_from=effective_from,
                reason=form.cleaned_data["reason"],
                window_exception_reason=form.cleaned_data["window_exception_reason"],
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form, sign_form)
            status = 422
        else:
            messages.success(
                request, f"{version} approved, signed. {work.next_actor(work.APPROVED)}"
            )
            return redirect("web:document_version", pk=version.pk)
    elif request.method == "POST":
        status = 422
    preview = None
    problem = None
    if version.status == VersionStatus.IN_REVIEW:
        preview = impact_preview(version, effective_from=effective_from)
        # Said before anyone types a password: no review yet, or the user wrote or
        # reviewed this revision (S2).
        problem = documents.approval_problem(version, request.user)
    context = {
        "version": version,
        "document": version.document,
        "form": form,
        "sign_form": sign_form,
        "preview": preview,
        "approval_problem": problem,
        "zone": zone,
        "checks": signature_checks(version),
    }
    if request.htmx and request.method == "GET":
        return render(request, "web/documents/_impact.html", context)
    return render(request, "web/documents/approve.html", context, status=status)


def document_obsolete(request, number: str):
    """QA signs "approved"; open training on it is cancelled with the reason (G6)."""
    document = _document(request, number)
    form = ObsoleteForm(request.POST or None)
    set_zone(form, user_zone(request.user))
    sign_form = SigningForm(
        request.POST or None,
        user=request.user,
        session=request.session,
        meaning="approved",
        subject=document,
    )
    if request.method == "POST" and form.is_valid() and sign_form.is_valid():
        try:
            documents.document_obsolete(
                actor=request.user,
                document=document,
                obsolete_from=form.cleaned_data["obsolete_from"],
                reason=form.cleaned_data["reason"],
                credentials=sign_form.credentials(),
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form, sign_form)
        else:
            messages.success(request, f"{document.number} made obsolete, signed.")
            return redirect("web:document", number=document.number)
    return render(
        request,
        "web/documents/obsolete.html",
        {"document": document, "form": form, "sign_form": sign_form},
        status=422 if form.errors or sign_form.errors else 200,
    )
