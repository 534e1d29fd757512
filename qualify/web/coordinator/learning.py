"""The training manager's learning pages (issue 14): training effectiveness per
document and per trainer, and a new hire's onboarding plan. Thin: parse, call one
query or service, render."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qualify.org.queries import people as people_query
from qualify.training import paths
from qualify.training.services.paths import onboarding_generate
from qualify.web.coordinator import queries
from qualify.web.documents.kit import show_errors, user_zone
from qualify.web.zones import aware


class DaysForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=3650, initial=90, required=False)


def effectiveness_page(request):
    form = DaysForm(request.GET or None)
    days = 90
    if form.is_bound and form.is_valid() and form.cleaned_data["days"]:
        days = form.cleaned_data["days"]
    # Issue 18: a page of each table; every row is in the report and its export.
    taken_at, documents, trainers = queries.effectiveness_page(
        request.user,
        days=days,
        documents=request.GET.get("page"),
        trainers=request.GET.get("trainers"),
    )
    query = request.GET.copy()
    for name in ("page", "trainers"):
        query.pop(name, None)
    return render(
        request,
        "web/coordinator/effectiveness.html",
        {
            "form": form,
            "days": days,
            "page": documents.page(),
            "trainers": trainers.page(),
            "taken_at": taken_at,
            "zone": user_zone(request.user),
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
            # Only a plan's progress line reads it: without a plan the page shows none
            # of it (nor are its records noted as shown, P152).
            "path": paths.learning_path(person) if plan else None,
            "form": form,
            "zone": zone,
        },
        status=status,
    )
