"""The training coordinator's page to waive a cmi5 AU of a learner's attempt (cmi5
9.3.8, issue 15): the open cmi5 attempts of their clients, and for one attempt its AUs
with their state and a form (cmi5 reason and written justification). One service,
qualify.content.cmi5.waive, writes the statement and the audit event."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from qualify.content import cmi5, queries
from qualify.content.models import AttemptStatus, Kind
from qualify.web.content.forms import WaiveForm
from qualify.web.employee.common import add_errors

LIMIT = 200


def open_attempts(request):
    rows = (
        queries.attempts(request.user)
        .filter(package__kind=Kind.CMI5, status=AttemptStatus.OPEN)
        .order_by("-started_at", "-pk")
    )
    person = request.GET.get("person", "").strip()
    if person:
        rows = rows.filter(person__employee_number=person)
    return render(
        request,
        "web/content/waivers.html",
        {"attempts": rows[:LIMIT], "limit": LIMIT, "person": person},
    )


def waive(request, pk: int):
    attempt = queries.attempts(request.user).filter(pk=pk, package__kind=Kind.CMI5).first()
    if attempt is None:
        raise Http404("No such cmi5 attempt.")
    state = queries.attempt_state(attempt)
    waivable = [a for a in state if not a["satisfied"]]
    form = WaiveForm(request.POST or None, aus=waivable)
    if request.method == "POST" and form.is_valid():
        try:
            cmi5.waive(actor=request.user, attempt=attempt, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            attempt.refresh_from_db()
            messages.success(
                request,
                f"AU waived for {attempt.person} ({form.cleaned_data['reason']}); "
                f"the attempt is {attempt.get_status_display().lower()}.",
            )
            return redirect("web:content_attempt_waive", pk=attempt.pk)
    return render(
        request,
        "web/content/waive.html",
        {"attempt": attempt, "state": state, "form": form, "waivable": waivable},
        status=422 if form.errors else 200,
    )
