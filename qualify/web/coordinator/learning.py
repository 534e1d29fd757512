"""The training manager's learning pages (issue 14): training effectiveness per
document and per trainer, and a new hire's onboarding plan. Thin: parse, call one
query or service, render."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qualify.org.queries import people as people_query
from qualify.quality.queries.effectiveness import visible_deviations
from qualify.reports.library.training_effectiveness import training_effectiveness_subjects
from qualify.training import paths
from qualify.training import queries as training_queries
from qualify.training.services.paths import onboarding_generate
from qualify.web.documents.kit import show_errors, user_zone
from qualify.web.zones import aware

PAGE_SIZE = 50


class DaysForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=3650, initial=90, required=False)


def effectiveness_page(request):
    form = DaysForm(request.GET or None)
    days = 90
    if form.is_bound and form.is_valid() and form.cleaned_data["days"]:
        days = form.cleaned_data["days"]
    # Issue 18: a page of each table; every row is in the report and its export. The
    # figures are asked for the page's documents and trainers only.
    subjects = training_effectiveness_subjects(training_queries.training_records(request.user))
    page = Paginator(subjects.documents, PAGE_SIZE).get_page(request.GET.get("page"))
    trainers = Paginator(subjects.trainers, PAGE_SIZE).get_page(request.GET.get("trainers"))
    rows = subjects.figures(
        visible_deviations(request.user),
        days=days,
        documents=[s.key for s in page],
        trainers=[s.key for s in trainers],
    )
    page.object_list = [r for r in rows if r.kind == "document"]
    trainers.object_list = [r for r in rows if r.kind == "trainer"]
    query = request.GET.copy()
    for name in ("page", "trainers"):
        query.pop(name, None)
    return render(
        request,
        "web/coordinator/effectiveness.html",
        {
            "form": form,
            "days": days,
            "page": page,
            "trainers": trainers,
            "query": query.urlencode(),
        },
    )


class OnboardingForm(forms.Form):
    starts_on = forms.DateField(
        label="First day", widget=forms.DateInput(attrs={"type": "date"}), required=True
    )


def onboarding(request, pk: int):
    person = get_object_or_404(people_query(request.user), pk=pk)
    zone = user_zone(request.user)
    form = OnboardingForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            day = form.cleaned_data["starts_on"]
            starts_at = aware(dt.datetime.combine(day, dt.time(0)), zone)
            try:
                plan = onboarding_generate(actor=request.user, person=person, starts_at=starts_at)
            except (ValidationError, PermissionDenied) as exc:
                show_errors(exc, form)
            else:
                messages.success(
                    request, f"Onboarding plan made: {plan.steps.count()} steps for {person}."
                )
                return redirect("web:coordinator_onboarding", pk=person.pk)
        status = 422
    plan = person.onboarding_plans.prefetch_related("steps__requirement").first()
    return render(
        request,
        "web/coordinator/onboarding.html",
        {
            "person": person,
            "plan": plan,
            "path": paths.learning_path(person),
            "form": form,
            "zone": zone,
        },
        status=status,
    )
