"""Audit-trail review pages (Annex 11 §9): the reviews listed with when each scope is
due, opening a review of a scope, its entries with findings, and signing it. Thin:
qualify.reports.review does the work."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from qualify.accounts.policy import AUDIT_REVIEW, holds
from qualify.org.models import Site
from qualify.reports import review as service
from qualify.reports.review_models import ReviewStatus
from qualify.signatures.services import SignatureRefused, signatures_of
from qualify.web.employee.forms import SignForm
from qualify.web.zones import zone_of

SHOWN = 1000  # entries drawn on the page; the audit-trail report exports them all


class OpenForm(forms.Form):
    object_type = forms.CharField(
        label="Record type",
        required=False,
        max_length=100,
        help_text="e.g. training.trainingrecord; empty for every record type.",
    )
    site = forms.CharField(
        label="Site code", required=False, max_length=20, help_text="Empty for every site."
    )

    def clean_site(self):
        code = self.cleaned_data["site"].strip()
        if not code:
            return None
        site = Site.objects.filter(code__iexact=code).first()
        if site is None:
            raise ValidationError("No site has this code.")
        return site


class FindingForm(forms.Form):
    seq = forms.IntegerField(label="Entry", min_value=1)
    note = forms.CharField(label="Finding", max_length=2000, widget=forms.Textarea)


class ConclusionForm(forms.Form):
    conclusion = forms.CharField(
        label="Conclusion", required=False, max_length=2000, widget=forms.Textarea
    )


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def reviews(request):
    form = OpenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            review = service.review_open(
                actor=request.user,
                object_type=form.cleaned_data["object_type"],
                site=form.cleaned_data["site"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect(reverse("web:audit_review", args=[review.pk]))
    now = timezone.now()
    context = {
        "reviews": service.reviews()[:200],
        "due": service.due_reviews(),
        "now": now,
        "form": form,
        "may_review": holds(request.user, AUDIT_REVIEW.write),
        "zone": zone_of(request.user),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "web/reports/audit_reviews.html", context, status=status)


def review_detail(request, pk: int):
    review = get_object_or_404(service.reviews(), pk=pk)
    may_review = holds(request.user, AUDIT_REVIEW.write) and review.status == ReviewStatus.OPEN
    finding_form = FindingForm()
    conclusion_form = ConclusionForm()
    sign_form = (
        SignForm.for_signer(request.user, request.session, meaning="reviewed", subject=review)
        if may_review
        else None
    )
    status = 200
    if request.method == "POST":
        status = 400
        if "note" in request.POST:
            finding_form = FindingForm(request.POST)
            if finding_form.is_valid():
                try:
                    service.review_note(
                        actor=request.user,
                        review=review,
                        seq=finding_form.cleaned_data["seq"],
                        note=finding_form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    _add_errors(finding_form, exc)
                else:
                    return redirect(reverse("web:audit_review", args=[review.pk]))
        else:
            conclusion_form = ConclusionForm(request.POST)
            sign_form = SignForm.for_signer(
                request.user, request.session, request.POST, meaning="reviewed", subject=review
            )
            if conclusion_form.is_valid() and sign_form.is_valid():
                try:
                    service.review_sign(
                        actor=request.user,
                        review=review,
                        credentials=sign_form.credentials(request.session),
                        conclusion=conclusion_form.cleaned_data["conclusion"],
                    )
                except SignatureRefused as exc:
                    _add_errors(sign_form, exc)
                except ValidationError as exc:
                    _add_errors(conclusion_form, exc)
                else:
                    return redirect(reverse("web:audit_review", args=[review.pk]))
    findings = {f.seq: f for f in review.findings.select_related("noted_by")}
    entries = list(service.covered_events(review)[:SHOWN])
    context = {
        "review": review,
        "entries": [(e, findings.get(e.seq)) for e in entries],
        "more": review.entries > len(entries),
        "findings": findings.values(),
        "may_review": may_review,
        "finding_form": finding_form,
        "conclusion_form": conclusion_form,
        "sign_form": sign_form,
        "sign_meaning": "Reviewed",
        "signatures": signatures_of(review),
        "zone": zone_of(request.user),
    }
    return render(request, "web/reports/audit_review.html", context, status=status)
