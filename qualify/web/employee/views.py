"""The employee's pages: my training, reading and signing an assignment, my records,
my qualifications now. Thin: parse, call one service or query, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from qualify.quality.queries import work
from qualify.training import paths
from qualify.training.delta import delta_for, shown_since
from qualify.training.models import Method
from qualify.training.services import record_read_and_understood
from qualify.training.services.records._common import READ
from qualify.web.employee import queries
from qualify.web.employee.common import add_errors, person_of, zone_of
from qualify.web.employee.forms import SignForm
from qualify.web.files import serve_upload

# Employees, trainers and everyone who trains holds this; the administrator and the
# auditor do not (U2), and get 403.
TRAINEE = "signatures.sign_read_and_understood"


def my_training(request):
    training = queries.my_training(request.user)
    return render(
        request,
        "web/employee/my_training.html",
        {"training": training, "zone": zone_of(request.user)},
    )


def assignment(request, pk: int):
    item = queries.my_assignment(request.user, pk)
    signable = item.status == "open" and item.requirement.method == Method.READ_AND_UNDERSTAND
    # L3: the changes since the version this person was last trained on; computed
    # here on GET and POST alike, never taken from the form (the record notes it).
    delta = delta_for(item.person, item.requirement, item.version_to_read) if signable else None
    # L4: an item locked by a prerequisite is shown, not offered for signing.
    missing = paths.missing_prerequisites(item.person, item.requirement) if signable else []
    form = None
    if signable and not missing:
        data = request.POST if request.method == "POST" else None
        # Told what it signs, the form re-authenticates a person who signs through
        # the identity provider for exactly this assignment (issue 16, S1).
        form = SignForm.for_signer(request.user, request.session, data, meaning=READ, subject=item)
        if request.method == "POST" and form.is_valid():
            try:
                record = record_read_and_understood(
                    actor=request.user,
                    assignment=item,
                    credentials=form.credentials(request.session),
                    delta_from=shown_since(delta),
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                what = record.document_version or item.requirement
                messages.success(
                    request,
                    f"Signed: you read and understood {what}. {work.next_actor(work.READ)}",
                )
                return redirect("web:employee_record", pk=record.pk)
    template = (
        "web/employee/_sign_dialog.html"
        if request.htmx and request.method == "POST"
        else "web/employee/assignment.html"
    )
    return render(
        request,
        template,
        {
            "assignment": item,
            "form": form,
            "zone": zone_of(request.user),
            "delta": delta,
            "missing": missing,
        },
    )


@xframe_options_sameorigin
def assignment_document(request, pk: int):
    """The PDF of the exact version the assignment names, shown inline (no download)."""
    item = queries.my_assignment(request.user, pk)
    version = item.document_version
    if version is None or not version.file:
        raise Http404("This version has no file.")
    return serve_upload(version.file)  # sandboxed, nosniff, safe name (issue 10)


def my_records(request):
    person, lines = queries.my_records(request.user)
    return render(
        request,
        "web/employee/my_records.html",
        {"person": person, "lines": lines, "zone": zone_of(request.user)},
    )


def my_record(request, pk: int):
    person, line = queries.my_record(request.user, pk)
    if line is None:
        raise Http404("No such record.")
    return render(
        request,
        "web/employee/my_record.html",
        {"person": person, "line": line, "zone": zone_of(request.user)},
    )


def my_qualifications(request):
    person, lines = queries.my_qualifications(request.user)
    return render(
        request,
        "web/employee/my_qualifications.html",
        {"person": person, "lines": lines, "zone": zone_of(request.user)},
    )


def my_path(request):
    """P44: my learning path, prerequisites first, with progress and target dates."""
    person = person_of(request.user)
    if person is None:
        raise Http404("You have no person record.")
    return render(
        request,
        "web/employee/my_path.html",
        {"path": paths.learning_path(person), "zone": zone_of(request.user)},
    )
