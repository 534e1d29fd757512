"""New controlled documents (with their first version) and periodic review pages.
Thin: each view parses a form, calls one service, and renders."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from qualify.documents import queries, reviews
from qualify.documents import services as documents
from qualify.org import queries as org_queries
from qualify.web.documents.forms import NewDocumentForm, PeriodicReviewForm, ReviewRevisionForm
from qualify.web.documents.kit import SigningForm, show_errors, user_zone
from qualify.web.documents.views import _document
from qualify.web.lookup import queries as lookup

DOCUMENT_FIELDS = (
    "doc_type",
    "number",
    "title",
    "owner",
    "site",
    "client",
    "frameworks",
    "review_interval_months",
)


def document_new(request):
    """The document controller creates a document and drafts its first version; the
    draft is then submitted, reviewed and approved on its version page."""
    form = NewDocumentForm(
        request.POST or None,
        request.FILES or None,
        initial={"owner": request.user.pk},
        owners=lookup.DOCUMENT_OWNERS.rows(request.user),
        sites=org_queries.sites(request.user).filter(active=True),
        clients=org_queries.clients(request.user).filter(active=True),
        frameworks=org_queries.frameworks(request.user).filter(active=True),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document, version = documents.document_introduce(
                actor=request.user,
                revision=data["revision"],
                change_summary=data["change_summary"],
                file=data["file"],
                content_text=data["content_text"],
                **{name: data[name] for name in DOCUMENT_FIELDS},
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(
                request,
                f"{document.number} created with revision {version.revision} as a draft. "
                "Check it, then submit it for review.",
            )
            return redirect("web:document_version", pk=version.pk)
    if form.errors and request.FILES:
        form.add_error(
            "file", "Nothing was saved: choose the file again (browsers do not keep it)."
        )
    return render(
        request,
        "web/documents/new.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _review_context(request, document, **extra):
    now = timezone.now()
    return {
        "document": document,
        "status": reviews.review_status(document, at=now),
        "history": queries.periodic_reviews(document),
        "zone": user_zone(request.user),
        "may_revise": request.user.has_perm("documents.manage_documents"),
        **extra,
    }


def periodic_review(request, number: str):
    """The periodic review: its due date and history; sign "reviewed, no change"."""
    document = _document(request, number)
    form = PeriodicReviewForm(request.POST or None)
    sign_form = SigningForm(
        request.POST or None,
        user=request.user,
        session=request.session,
        meaning="reviewed",
        subject=document,
    )
    if request.method == "POST" and form.is_valid() and sign_form.is_valid():
        try:
            documents.periodic_review_no_change(
                actor=request.user,
                document=document,
                comment=form.cleaned_data["comment"],
                credentials=sign_form.credentials(),
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form, sign_form)
        else:
            messages.success(request, f"Periodic review of {document.number} signed: no change.")
            return redirect("web:document", number=document.number)
    failed = request.method == "POST"
    return render(
        request,
        "web/documents/periodic_review.html",
        _review_context(request, document, form=form, sign_form=sign_form),
        status=422 if failed else 200,
    )


def periodic_review_revise(request, number: str):
    """The review found a change is needed: draft the new revision from here."""
    document = _document(request, number)
    form = ReviewRevisionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _, version = documents.periodic_review_revise(
                actor=request.user,
                document=document,
                comment=data["comment"],
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
                request,
                f"Revision {version.revision} drafted from the periodic review. Check it, then "
                "submit it.",
            )
            return redirect("web:document_version", pk=version.pk)
    return render(
        request,
        "web/documents/periodic_review_revise.html",
        _review_context(request, document, form=form),
        status=422 if form.errors else 200,
    )
