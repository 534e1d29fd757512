"""CAPA: a training action (G5) with its effectiveness check, the QA review that
clears the "retraining only" flag (E4), and the effectiveness review on its date."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qualify.quality import queries
from qualify.quality import services as quality
from qualify.quality.models import ActionKind
from qualify.quality.services import QualityRefused
from qualify.web.documents.kit import SigningForm, set_zone, show_errors, user_zone
from qualify.web.lookup import queries as lookup
from qualify.web.quality.forms import EffectivenessReviewForm, QaReviewForm, TrainingActionForm

MANAGE_CAPA = "quality.manage_capa"


def training_action_new(request, pk: int):
    capa = get_object_or_404(queries.capas(request.user), pk=pk)
    form = TrainingActionForm(
        request.POST or None,
        requirements=lookup.REQUIREMENTS.rows(request.user),
        people=lookup.PEOPLE.rows(request.user),
        job_functions=lookup.JOB_FUNCTIONS.rows(request.user),
        owners=lookup.ACCOUNTS.rows(request.user),
    )
    set_zone(form, user_zone(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            action = quality.capa_action_add(
                actor=request.user, capa=capa, kind=ActionKind.TRAINING, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            assigned = action.targets.count()
            messages.success(
                request,
                f"Training action added to {capa.number}: {assigned} "
                f"{'person' if assigned == 1 else 'people'} assigned.",
            )
            return redirect("web:quality_detail", kind="capas", pk=capa.pk)
    return render(
        request,
        "web/quality/training_action_new.html",
        {"capa": capa, "form": form},
        status=422 if form.errors else 200,
    )


def qa_review(request, pk: int):
    """E4: QA signs why retraining alone is an effective correction; the flag clears."""
    capa = get_object_or_404(queries.capas(request.user), pk=pk)
    form = QaReviewForm(request.POST or None)
    sign_form = SigningForm(
        request.POST or None,
        user=request.user,
        session=request.session,
        meaning="reviewed",
        subject=capa,
    )
    if request.method == "POST" and form.is_valid() and sign_form.is_valid():
        try:
            quality.capa_qa_review(
                actor=request.user,
                capa=capa,
                comment=form.cleaned_data["comment"],
                credentials=sign_form.credentials(),
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form, sign_form)
        else:
            messages.success(request, f"QA review of {capa.number} recorded, signed.")
            return redirect("web:quality_detail", kind="capas", pk=capa.pk)
    return render(
        request,
        "web/quality/qa_review.html",
        {"capa": capa, "form": form, "sign_form": sign_form},
        status=422 if form.errors or sign_form.errors else 200,
    )


def effectiveness_review(request, pk: int):
    action = get_object_or_404(
        queries.capa_actions(request.user).select_related("requirement"), pk=pk
    )
    form = EffectivenessReviewForm(request.POST or None)
    sign_form = SigningForm(
        request.POST or None,
        user=request.user,
        session=request.session,
        meaning="verified",
        subject=action,
    )
    refusal: list = []
    if request.method == "POST" and form.is_valid() and sign_form.is_valid():
        try:
            quality.capa_action_review(
                actor=request.user,
                action=action,
                effective=form.cleaned_data["effective"],
                comment=form.cleaned_data["comment"],
                credentials=sign_form.credentials(),
            )
        except QualityRefused as exc:
            refusal = exc.items
            form.add_error(None, "The retraining is not complete yet.")
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form, sign_form)
        else:
            messages.success(request, "Effectiveness review recorded, signed.")
            return redirect("web:quality_detail", kind="capas", pk=action.capa_id)
    zone = user_zone(request.user)
    # Said before anyone types a password: the review waits for its date.
    too_early = action.review_on is not None and timezone.now() < action.review_on
    return render(
        request,
        "web/quality/effectiveness_review.html",
        {
            "action": action,
            "form": form,
            "sign_form": sign_form,
            "refusal": refusal,
            "too_early": too_early,
            "zone": zone,
        },
        status=422 if form.errors or sign_form.errors else 200,
    )
