"""Assessment pages (L1, L2): the operator takes, submits and signs; document control
edits a bank draft's questions; the training coordinator defines assessments and reads
item statistics; a trainer reviews free-text answers. Thin: parse, call one service or
query, render. Correct answers are rendered only by the result, review and bank pages,
never by the page of an attempt in progress."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from qualify.assessments import bank as bank_format
from qualify.assessments import queries, services
from qualify.assessments.models import AttemptStatus
from qualify.documents.models import VersionStatus
from qualify.training import queries as training_queries
from qualify.web.assessments.forms import BankForm, DefineForm, EditForm, ReviewForm
from qualify.web.employee.common import add_errors, person_of, zone_of
from qualify.web.employee.forms import SignForm


def _refusal(request, error: ValidationError | PermissionDenied) -> None:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text)


# --- the operator -------------------------------------------------------------------------


def my_attempts(request):
    rows = queries.my_attempts(request.user)
    return render(
        request,
        "web/assessments/my_attempts.html",
        {"attempts": rows, "zone": zone_of(request.user)},
    )


def take(request, requirement_pk: int):
    requirement = training_queries.requirements(request.user).filter(pk=requirement_pk).first()
    if requirement is None or queries.assessment_for(requirement) is None:
        raise Http404("No assessment for this requirement.")
    person = person_of(request.user)
    if person is None:
        raise Http404("You have no training records here.")
    state = queries.assessment_state(person, requirement)
    if request.method == "POST":
        try:
            attempt = services.attempt_start(actor=request.user, assessment=state.assessment)
        except (ValidationError, PermissionDenied) as error:
            _refusal(request, error)
            return redirect("web:assessment_take", requirement_pk=requirement.pk)
        return redirect("web:assessment_attempt", pk=attempt.pk)
    return render(
        request,
        "web/assessments/take.html",
        {"requirement": requirement, "state": state, "zone": zone_of(request.user)},
    )


def _answers(post) -> dict:
    """Every posted field named q<something>: the service refuses what was not drawn."""
    out = {}
    for key in post:
        if key.startswith("q"):
            values = post.getlist(key)
            out[key[1:]] = values[0] if len(values) == 1 else values
    return out


def _attempt_page(request, attempt, sign_form=None, status=200):
    context = {"attempt": attempt, "zone": zone_of(request.user)}
    if attempt.status == AttemptStatus.IN_PROGRESS:
        context["items"] = queries.shown_items(attempt)
        context["form_token"] = services.form_token(attempt)
        if attempt.deadline:
            context["seconds_left"] = max(
                int((attempt.deadline - timezone.now()).total_seconds()), 0
            )
        template = "web/assessments/attempt.html"
    else:
        context["results"] = queries.result_items(attempt)
        context["topics"] = queries.topics(attempt)
        if attempt.status in services.SIGNABLE and attempt.record_id is None:
            context["sign_form"] = sign_form or SignForm.for_signer(
                request.user, request.session, meaning="completed_assessment", subject=attempt
            )
        state = queries.assessment_state(attempt.person, attempt.assessment.requirement)
        context["state"] = state
        template = "web/assessments/result.html"
    return render(request, template, context, status=status)


def attempt(request, pk: int):
    found = queries.my_attempts(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such attempt.")
    if request.method == "POST":
        try:
            found = services.attempt_submit(
                actor=request.user,
                attempt=found,
                answers=_answers(request.POST),
                form_token=request.POST.get("form_token", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            _refusal(request, error)
            return redirect("web:assessment_attempt", pk=pk)
        if found.status == AttemptStatus.IN_REVIEW:
            messages.info(request, "Submitted: a trainer reviews your free-text answers next.")
        else:
            messages.success(
                request,
                f"Submitted: {found.score}% ({found.get_status_display().lower()}). "
                "Sign the result below.",
            )
        return redirect("web:assessment_attempt", pk=pk)
    return _attempt_page(request, found)


def attempt_sign(request, pk: int):
    found = queries.my_attempts(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such attempt.")
    if request.method != "POST" or found.status == AttemptStatus.IN_PROGRESS:
        return redirect("web:assessment_attempt", pk=pk)
    form = SignForm.for_signer(
        request.user, request.session, request.POST, meaning="completed_assessment", subject=found
    )
    if form.is_valid():
        try:
            record = services.attempt_sign(
                actor=request.user, attempt=found, credentials=form.credentials(request.session)
            )
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            done = " It completes your assignment." if found.passed else ""
            messages.success(request, f"Signed: training record {record.pk}.{done}")
            return redirect("web:assessment_attempt", pk=pk)
    return _attempt_page(request, found, sign_form=form, status=200)


# --- document control: the bank editor ---------------------------------------------------


def banks(request):
    return render(
        request,
        "web/assessments/banks.html",
        {
            "versions": queries.bank_versions(request.user).order_by(
                "document__number", "-sequence"
            ),
            "zone": zone_of(request.user),
        },
    )


def bank(request, pk: int):
    version = queries.bank_versions(request.user).filter(pk=pk).first()
    if version is None:
        raise Http404("No such question bank version.")
    editable = version.status == VersionStatus.DRAFT and request.user.has_perm(
        "documents.manage_documents"
    )
    form = None
    if editable:
        if request.method == "POST":
            form = BankForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    saved = services.bank_save(
                        actor=request.user,
                        version=version,
                        text=data["content"],
                        fmt=data["fmt"],
                        reason=data["reason"],
                    )
                except (ValidationError, PermissionDenied) as error:
                    if isinstance(error, PermissionDenied):
                        form.add_error(None, str(error))
                    else:
                        add_errors(form, error)
                else:
                    messages.success(request, f"Saved {len(saved)} questions.")
                    return redirect("web:assessment_bank", pk=pk)
        else:
            form = BankForm(initial={"text": bank_format.export(version)})
    return render(
        request,
        "web/assessments/bank.html",
        {
            "version": version,
            "questions": bank_format.questions_of(version),
            "problem": bank_format.problem(version),
            "form": form,
            "zone": zone_of(request.user),
        },
    )


def bank_export(request, pk: int):
    version = queries.bank_versions(request.user).filter(pk=pk).first()
    if version is None:
        raise Http404("No such question bank version.")
    fmt = "json" if request.GET.get("format") == "json" else "yaml"
    body = bank_format.export(version, fmt)
    kind = "application/json" if fmt == "json" else "application/yaml"
    response = HttpResponse(body, content_type=f"{kind}; charset=utf-8")
    name = f"{version.document.number}-rev-{version.revision}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the training manager -----------------------------------------------------------------


def statistics(request, pk: int):
    version = queries.bank_versions(request.user).filter(pk=pk).first()
    if version is None:
        raise Http404("No such question bank version.")
    return render(
        request,
        "web/assessments/statistics.html",
        {
            "version": version,
            "rows": queries.item_statistics(version),
            "attempts": queries.attempts(request.user).filter(bank_version=version).count(),
        },
    )


def definitions(request):
    return render(
        request,
        "web/assessments/definitions.html",
        {
            "assessments": queries.assessments(request.user),
            "versions": queries.bank_versions(request.user).filter(status=VersionStatus.APPROVED),
        },
    )


def define(request):
    form = DefineForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.assessment_define(actor=request.user, **data)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Assessment of {data['requirement'].code} defined.")
            return redirect("web:assessment_definitions")
    return render(request, "web/assessments/define.html", {"form": form})


def edit(request, pk: int):
    """Change an existing assessment definition (assessment_update); attempts already
    started keep what they drew."""
    assessment = queries.assessments(request.user).filter(pk=pk).first()
    if assessment is None:
        raise Http404("No such assessment.")
    form = EditForm(request.POST or None, initial=EditForm.initial_of(assessment))
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        reason = changes.pop("reason")
        try:
            services.assessment_update(
                actor=request.user, assessment=assessment, reason=reason, **changes
            )
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Assessment of {assessment.requirement.code} changed.")
            return redirect("web:assessment_definitions")
    status = 422 if form.errors else 200
    return render(
        request,
        "web/assessments/edit.html",
        {"form": form, "assessment": assessment},
        status=status,
    )


def reviews(request):
    rows = queries.attempts(request.user).filter(status=AttemptStatus.IN_REVIEW)
    return render(
        request,
        "web/assessments/reviews.html",
        {"attempts": rows, "zone": zone_of(request.user)},
    )


def review(request, pk: int):
    found = queries.attempts(request.user).filter(pk=pk, status=AttemptStatus.IN_REVIEW).first()
    if found is None:
        raise Http404("No attempt waiting for a review.")
    items = [
        item
        for item in found.items.select_related("question").order_by("position")
        if item.correct is None
    ]
    form = ReviewForm(request.POST or None, positions=[i.position for i in items])
    if request.method == "POST" and form.is_valid():
        try:
            services.attempt_review(
                actor=request.user,
                attempt=found,
                verdicts=form.verdicts(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Review recorded; the result now stands.")
            return redirect("web:assessment_reviews")
    return render(
        request,
        "web/assessments/review.html",
        {"attempt": found, "items": items, "form": form},
    )
