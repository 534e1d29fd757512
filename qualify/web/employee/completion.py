"""The person's side of every completion method beyond read-and-understand:

- e-learning: "I have read this version" after the viewer, then the assessment
  (qualify.assessments' pages), whose signed passed attempt completes the assignment;
- classroom: join or leave a session, and sign attendance on one's own device while
  the trainer's signing window is open;
- external training: submit a certificate, then sign the record once a coordinator
  has verified it.

Thin: parse, call one service or query, render.
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from qualify.guards import AlreadyDone
from qualify.signatures.queries import signature_checks
from qualify.training import queries as training_queries
from qualify.training import queries_completion as queries
from qualify.training import services as training
from qualify.training.models import ClassSession, Method
from qualify.training.services import sessions as session_rules
from qualify.training.services.certificates import certificate_awaits_signature
from qualify.web.employee.common import add_errors, aware, person_of, zone_of
from qualify.web.employee.forms import SignForm
from qualify.web.employee.queries import my_assignment
from qualify.web.files import serve_upload


def _me(request):
    person = person_of(request.user)
    if person is None:
        raise Http404("You have no person record.")
    return person


# --- e-learning ---------------------------------------------------------------------------


def elearning_read(request, pk: int):
    """POST: the trainee read the assignment's version in the viewer."""
    item = my_assignment(request.user, pk)
    if request.method == "POST":
        try:
            reading = training.elearning_read(actor=request.user, assignment=item)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(
                request,
                f"Noted: you read {reading.document_version}. Now take its assessment.",
            )
    return redirect("web:employee_assignment", pk=item.pk)


# --- classroom ----------------------------------------------------------------------------


def session(request, pk: int):
    """A classroom session as an attendee sees it: join, leave, sign on this device."""
    person = _me(request)
    item = queries.sessions(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("No such session.")
    enrolment = queries.enrolment_of(person, item)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = SignForm.for_signer(
        request.user,
        request.session,
        request.POST if action == "sign" else None,
        meaning="completed_training",
        subject=item,
    )
    try:
        if action == "enrol":
            training.session_enrol(actor=request.user, session=item, person=person)
            messages.success(request, f"You are enrolled in {item}.")
            return redirect("web:employee_session", pk=item.pk)
        if action == "withdraw" and enrolment is not None:
            training.session_unenrol(
                actor=request.user,
                enrolment=enrolment,
                reason=request.POST.get("reason") or "Withdrawn by the attendee",
            )
            messages.success(request, "You are no longer enrolled.")
            return redirect("web:employee_session", pk=item.pk)
        if action == "sign" and form.is_valid():
            record = training.attendance_sign(
                session=item, actor=request.user, credentials=form.credentials(request.session)
            )
            messages.success(
                request,
                "Signed: your attendance is recorded. It counts once the trainer closes the "
                "session with their signature.",
            )
            return redirect("web:employee_record", pk=record.pk)
    except AlreadyDone as error:
        messages.info(request, error.messages[0])
        return redirect("web:employee_session", pk=item.pk)
    except ValidationError as error:
        if action == "sign":
            add_errors(form, error)
        else:
            for text in error.messages:
                messages.error(request, text)
    except PermissionDenied as error:
        messages.error(request, str(error))
    item.refresh_from_db()
    window = session_rules.open_window(item)
    return render(
        request,
        "web/employee/session.html",
        {
            "session": item,
            "enrolment": enrolment,
            "window": window,
            "form": form if enrolment and not enrolment.record_id and window else None,
            "zone": zone_of(request.user),
        },
    )


# --- external certificates ----------------------------------------------------------------


class CertificateForm(forms.Form):
    requirement = forms.IntegerField(label="Training")
    issuer = forms.CharField(label="Issued by", max_length=200)
    course = forms.CharField(label="Course", max_length=300, required=False)
    certificate_number = forms.CharField(label="Certificate number", max_length=100, required=False)
    completed_on = forms.DateField(
        label="Completed on", widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label="Valid until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty if the certificate does not expire.",
    )
    file = forms.FileField(
        label="Certificate (PDF or image)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )


def certificate_new(request):
    person = _me(request)
    zone = zone_of(request.user)
    choices = training_queries.requirements(request.user).filter(
        method=Method.EXTERNAL, active=True
    )
    data = request.POST if request.method == "POST" else None
    form = CertificateForm(
        data,
        request.FILES if data is not None else None,
        initial={"requirement": request.GET.get("requirement")},
    )
    if data is not None and form.is_valid():
        requirement = choices.filter(pk=form.cleaned_data["requirement"]).first()
        if requirement is None:
            form.add_error("requirement", "Choose an external training.")
        else:
            completed = aware(
                dt.datetime.combine(form.cleaned_data["completed_on"], dt.time(12, 0)), zone
            )
            try:
                certificate = training.certificate_submit(
                    actor=request.user,
                    person=person,
                    requirement=requirement,
                    issuer=form.cleaned_data["issuer"],
                    course=form.cleaned_data["course"],
                    certificate_number=form.cleaned_data["certificate_number"],
                    completed_at=min(completed, dt.datetime.now(dt.UTC)),
                    valid_until=form.cleaned_data["valid_until"],
                    file=form.cleaned_data["file"],
                )
            except AlreadyDone as error:
                messages.info(request, error.messages[0])
                return redirect("web:employee_certificate", pk=error.existing.pk)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    "Submitted. A training coordinator verifies it against the original; "
                    "you sign the record after that.",
                )
                return redirect("web:employee_certificate", pk=certificate.pk)
    return render(
        request,
        "web/employee/certificate_new.html",
        {"form": form, "requirements": choices, "person": person},
    )


def certificate(request, pk: int):
    """The person's certificate: its state, the file, and the signature once verified."""
    item = queries.certificates(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("No such certificate.")
    if request.GET.get("file"):
        return serve_upload(item.file)
    own = item.person.user_id == request.user.pk
    awaiting = own and certificate_awaits_signature(item)
    form = None
    if awaiting:
        data = request.POST if request.method == "POST" else None
        form = SignForm.for_signer(
            request.user, request.session, data, meaning="completed_training", subject=item
        )
        if data is not None and form.is_valid():
            try:
                record = training.certificate_sign(
                    actor=request.user,
                    certificate=item,
                    credentials=form.credentials(request.session),
                )
            except AlreadyDone as error:
                messages.info(request, error.messages[0])
                return redirect("web:employee_certificate", pk=item.pk)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request, f"Signed: {item.requirement.code} is complete. Nobody acts next."
                )
                return redirect("web:employee_record", pk=record.pk)
    return render(
        request,
        "web/employee/certificate.html",
        {
            "certificate": item,
            "form": form,
            "checks": signature_checks(item),
            "record_checks": signature_checks(item.record) if item.record_id else [],
            "file_url": reverse("web:employee_certificate", args=[item.pk]) + "?file=1",
            "zone": zone_of(request.user),
        },
    )


def sessions_for(user, requirement) -> list[ClassSession]:
    return list(queries.enrolled(queries.upcoming(user, requirement)).order_by("starts_at")[:20])
