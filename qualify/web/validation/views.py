"""The validation runs listed, one run with its deviations and signatures, and QA's
approval signed on it. Thin: qualify.validation does the work."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from qualify.accounts.policy import VALIDATION_RUNS, holds
from qualify.signatures.services import SignatureRefused, signatures_of
from qualify.validation import queries
from qualify.validation.models import RunOutcome, RunStatus
from qualify.validation.services import validation_run_approve
from qualify.web.employee.forms import SignForm
from qualify.web.zones import zone_of


class ApprovalForm(forms.Form):
    comment = forms.CharField(
        label="Comment", required=False, max_length=2000, widget=forms.Textarea
    )


def runs(request):
    context = {"runs": queries.validation_runs()[:200], "zone": zone_of(request.user)}
    return render(request, "web/validation/runs.html", context)


def _may_approve(request, run) -> bool:
    return (
        holds(request.user, VALIDATION_RUNS.write)
        and run.status == RunStatus.EXECUTED
        and run.outcome == RunOutcome.PASS
        and run.executed_by_id is not None
        and run.executed_by_id != request.user.pk
    )


def run_detail(request, pk: int):
    run = get_object_or_404(queries.validation_runs(), pk=pk)
    may_approve = _may_approve(request, run)
    form = ApprovalForm()
    sign_form = (
        SignForm.for_signer(request.user, request.session, meaning="approved", subject=run)
        if may_approve
        else None
    )
    status = 200
    if request.method == "POST":
        status = 400
        form = ApprovalForm(request.POST)
        sign_form = SignForm.for_signer(
            request.user, request.session, request.POST, meaning="approved", subject=run
        )
        if form.is_valid() and sign_form.is_valid():
            try:
                validation_run_approve(
                    actor=request.user,
                    run=run,
                    credentials=sign_form.credentials(request.session),
                    comment=form.cleaned_data["comment"],
                )
            except SignatureRefused as exc:
                _add_errors(sign_form, exc)
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, "; ".join(getattr(exc, "messages", [str(exc)])))
            else:
                return redirect(reverse("web:validation_run", args=[run.pk]))
    context = {
        "run": run,
        "signatures": signatures_of(run),
        "may_approve": may_approve,
        "form": form,
        "sign_form": sign_form,
        "sign_meaning": "Approved",
        "zone": zone_of(request.user),
    }
    return render(request, "web/validation/run.html", context, status=status)


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)
