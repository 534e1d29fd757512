"""Classroom sessions, the trainer's side, and the kiosk in the room.

The trainer schedules a session (room, capacity, times), enrols people, opens a
signing window once the session has started (the kiosk's address is shown once: the
token is not kept), and closes the session with their own signature. Attendees sign
on the kiosk (`kiosk`) or on their own device (web.employee.completion), never on the
trainer's screen: the kiosk refuses to take signatures in a browser where someone is
signed in, so nobody types a password into the trainer's session.
"""

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from qualify.accounts.models import User
from qualify.guards import AlreadyDone
from qualify.identity.reauth import ReauthImpossible
from qualify.identity.signing import completed_ticket, provider_name, signs_through_provider
from qualify.identity.views import start_reauth
from qualify.org.queries import people as people_query
from qualify.signatures.services import Credentials
from qualify.training import queries_completion as queries
from qualify.training import services as training
from qualify.training.models import Enrolment, EnrolmentStatus, Method
from qualify.training.services import sessions as session_rules
from qualify.training.services.records._common import COMPLETED, TRAINED_BY
from qualify.web import zones
from qualify.web.employee.common import add_errors, aware, local_input, zone_of
from qualify.web.employee.forms import SignForm
from qualify.web.trainer import queries as trainer_queries

LOCAL = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _local_field(label):
    return forms.DateTimeField(
        label=label,
        input_formats=LOCAL,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class ScheduleForm(forms.Form):
    requirement = forms.IntegerField(label="Classroom training")
    room = forms.CharField(label="Room", max_length=120)
    starts_at = _local_field("Starts")
    ends_at = _local_field("Ends")
    capacity = forms.IntegerField(label="Capacity (seats)", min_value=1, max_value=500)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WindowForm(forms.Form):
    minutes = forms.IntegerField(
        label="Open for (minutes)",
        min_value=session_rules.WINDOW_MINUTES[0],
        max_value=session_rules.WINDOW_MINUTES[1],
        initial=session_rules.DEFAULT_WINDOW_MINUTES,
    )


class KioskForm(forms.Form):
    username = forms.CharField(
        label="Your user id",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    # Not required: a person who signs through the identity provider has none to
    # type; they are told so once they have given their user id (issue 16).
    password = forms.CharField(
        label="Your password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    otp_token = forms.CharField(
        label="One-time code",
        required=False,
        max_length=10,
        help_text="Only if you have enrolled an authenticator.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


def sessions(request):
    """The trainer's sessions and the form to schedule one."""
    zone = zone_of(request.user)
    choices = trainer_queries.requirements(request.user, Method.CLASSROOM)
    data = request.POST if request.method == "POST" else None
    now = timezone.now()
    form = ScheduleForm(
        data,
        initial={
            "starts_at": local_input(now, zone),
            "ends_at": local_input(now + dt.timedelta(hours=2), zone),
            "capacity": 12,
            # "Schedule GMP-…" from the start page or My work preselects the training.
            "requirement": request.GET.get("requirement", ""),
        },
    )
    if data is not None and form.is_valid():
        requirement = choices.filter(pk=form.cleaned_data["requirement"]).first()
        if requirement is None:
            form.add_error("requirement", "Choose a classroom training.")
        else:
            try:
                session = training.session_schedule(
                    actor=request.user,
                    requirement=requirement,
                    room=form.cleaned_data["room"],
                    starts_at=aware(form.cleaned_data["starts_at"], zone),
                    ends_at=aware(form.cleaned_data["ends_at"], zone),
                    capacity=form.cleaned_data["capacity"],
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Scheduled {session}.")
                return redirect("web:trainer_session", pk=session.pk)
    return render(
        request,
        "web/trainer/sessions.html",
        {
            "form": form,
            "requirements": choices,
            "sessions": queries.my_sessions_as_trainer(request.user),
            "zone": zone,
        },
    )


def _session(request, pk):
    session = queries.my_sessions_as_trainer(request.user).filter(pk=pk).first()
    if session is None:
        raise Http404("No such session of yours.")
    return session


def session(request, pk: int):
    """One session: roster and enrolment, the signing window, closing with a signature."""
    item = _session(request, pk)
    zone = zone_of(request.user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    close_form = SignForm.for_signer(
        request.user, request.session, request.POST if action == "close" else None, prefix="close"
    )
    record_forms = _record_forms(request, item, request.POST if action == "close" else None)
    window_form = WindowForm(request.POST if action == "window" else None)
    kiosk_address = None
    try:
        if action == "enrol":
            person = people_query(request.user).filter(pk=request.POST.get("person") or 0).first()
            if person is None:
                raise ValidationError("Choose a person to enrol.")
            training.session_enrol(actor=request.user, session=item, person=person)
            messages.success(request, f"Enrolled {person.full_name}.")
            return redirect("web:trainer_session", pk=item.pk)
        if action == "unenrol":
            enrolment = Enrolment.objects.filter(
                session=item, pk=request.POST.get("enrolment") or 0
            ).first()
            if enrolment is None:
                raise ValidationError("No such enrolment.")
            training.session_unenrol(
                actor=request.user, enrolment=enrolment, reason=request.POST.get("reason", "")
            )
            messages.success(request, f"Withdrew {enrolment.person.full_name}.")
            return redirect("web:trainer_session", pk=item.pk)
        if action == "window" and window_form.is_valid():
            window, token = training.window_open(
                actor=request.user, session=item, minutes=window_form.cleaned_data["minutes"]
            )
            # Shown once: only the token's SHA-256 is kept.
            kiosk_address = request.build_absolute_uri(reverse("web:kiosk", args=[token]))
            messages.success(
                request,
                f"Signing is open until {zones.in_zone(window.expires_at, zone)}.",
            )
        if action == "window_close":
            current = session_rules.open_window(item)
            if current is not None:
                training.window_close(actor=request.user, window=current)
                messages.success(request, "Signing window closed.")
            return redirect("web:trainer_session", pk=item.pk)
        if action == "close" and record_forms is not None:
            if not all([form.is_valid() for form in record_forms.values()]):
                raise ValidationError({"reauth_ticket": "Re-authenticate for every record."})
            records = training.session_close(
                actor=request.user,
                session=item,
                record_credentials={
                    pk: form.credentials(request.session) for pk, form in record_forms.items()
                },
            )
            messages.success(
                request,
                f"Session closed: {len(records)} attendee record(s) signed by you; their "
                "training is complete.",
            )
            return redirect("web:trainer_session", pk=item.pk)
        if action == "close" and close_form.is_valid():
            records = training.session_close(
                actor=request.user,
                session=item,
                credentials=close_form.credentials(request.session),
            )
            messages.success(
                request,
                f"Session closed: {len(records)} attendee record(s) signed by you; their "
                "training is complete.",
            )
            return redirect("web:trainer_session", pk=item.pk)
    except AlreadyDone as error:
        messages.info(request, error.messages[0])
        return redirect("web:trainer_session", pk=item.pk)
    except ValidationError as error:
        if action == "close" and record_forms is not None:
            for text in error.messages:
                messages.error(request, text)
        elif action in ("close", "window"):
            add_errors(close_form if action == "close" else window_form, error)
        else:
            for text in error.messages:
                messages.error(request, text)
    except PermissionDenied as error:
        messages.error(request, str(error))
    item = _session(request, pk)
    q = request.GET.get("q", "")
    return render(
        request,
        "web/trainer/session.html",
        {
            "session": item,
            "enrolments": item.current_enrolments,
            "window": session_rules.open_window(item),
            "window_form": window_form,
            "close_form": close_form,
            # After a POST the offers are made afresh: a record's ticket may be spent.
            "record_forms": None if record_forms is None else _record_forms(request, item, None),
            "kiosk_address": kiosk_address,
            "results": trainer_queries.search_people(request.user, q) if q else [],
            "due": trainer_queries.due(request.user, item.requirement),
            "q": q,
            "zone": zone,
            "now": timezone.now(),
        },
    )


def _record_forms(request, item, data) -> dict | None:
    """A trainer who signs through the identity provider closes the session with one
    re-authentication per attendee's record, each bound to that record (a ticket
    signs one signature, issue 16): the form of each record, by its id. None for a
    trainer who signs with a password."""
    if not signs_through_provider(request.user, request.session):
        return None
    forms_ = {}
    signed = Enrolment.objects.filter(
        session=item, status=EnrolmentStatus.ENROLLED, record__isnull=False
    ).select_related("record", "person")
    for enrolment in signed.order_by("pk"):
        form = SignForm(data, prefix=f"close-{enrolment.record_id}", ask_username=False)
        form.sign_through_provider(
            user=request.user, session=request.session, meaning=TRAINED_BY, subject=enrolment.record
        )
        form.attendee = enrolment.person
        forms_[enrolment.record_id] = form
    return forms_


@never_cache
def kiosk(request, token: str):
    """The kiosk in the room: each enrolled attendee signs with their own user id and
    password, one after the other. The token in the address is the only key."""
    window = session_rules.window_for_token(token)
    if window is None:
        raise Http404("This kiosk address is not known. Ask the trainer for the current one.")
    item = window.session
    signed_in = request.user.is_authenticated
    form = KioskForm(request.POST if request.method == "POST" else None)
    status = 200
    attendee = None
    if request.method == "GET" and not signed_in and request.GET.get("signer"):
        # Back from the provider: the attendee named stays named.
        attendee = _through_provider(item, request.GET["signer"])
    if request.method == "POST":
        if signed_in:
            # Never on someone's session: the trainer's browser takes no passwords.
            form.add_error(
                None,
                "This browser is signed in. Open the kiosk address on the room's terminal "
                "(or sign out first): passwords are never typed into someone's session.",
            )
            status = 403
        elif form.is_valid():
            username = form.cleaned_data["username"]
            attendee = _through_provider(item, username)
            if attendee is not None:
                if request.POST.get("action") == "reauth":
                    return _kiosk_reauth(request, window, attendee, form)
                if not request.POST.get("reauth_ticket"):
                    return _kiosk_page(request, window, form, status, reauth=attendee)
                credentials = Credentials(
                    username=username,
                    reauth_ticket=request.POST["reauth_ticket"],
                    subject=item,
                    session=None,
                )
            else:
                credentials = Credentials(
                    username=username,
                    password=form.cleaned_data["password"],
                    otp_token=form.cleaned_data["otp_token"] or None,
                    session=None,
                )
            try:
                record = training.attendance_sign(window=window, credentials=credentials)
            except AlreadyDone as error:
                messages.info(request, error.messages[0])
                return redirect("web:kiosk", token=token)
            except ValidationError as error:
                add_errors(form, error)
                status = 400
            else:
                messages.success(
                    request,
                    f"Thank you, {record.person.full_name}: your attendance is signed. "
                    "Next attendee, please.",
                )
                return redirect("web:kiosk", token=token)
    return _kiosk_page(request, window, form, status, reauth=attendee)


def _through_provider(item, username: str):
    """The enrolled attendee this user id names when they sign through the identity
    provider (linked, local password off), else None: they re-authenticate there as
    themselves instead of typing a password that cannot work (issue 16)."""
    user = User.objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    if user is None or not signs_through_provider(user, None):
        return None
    enrolled = Enrolment.objects.filter(
        session=item, status=EnrolmentStatus.ENROLLED, person__user=user, record__isnull=True
    )
    return user if enrolled.exists() else None


def _kiosk_reauth(request, window, attendee, form):
    """Send the kiosk's browser to the provider for the attendee's forced
    re-authentication, bound to their attendance signature for this session; the
    answer must carry their linked subject and comes back to this kiosk."""
    back = f"{request.path}?{urlencode({'signer': attendee.username})}"
    try:
        return start_reauth(
            request, meaning=COMPLETED, obj=window.session, return_url=back, signer=attendee
        )
    except ReauthImpossible as error:
        form.add_error(None, f"Signature not possible. {error}")
        return _kiosk_page(request, window, form, 400)


def _kiosk_page(request, window, form, status, *, reauth=None):
    item = window.session
    problem = session_rules.window_problem(window)
    roster = item.enrolments.filter(status=EnrolmentStatus.ENROLLED).select_related("person")
    offer = None
    if reauth is not None and not problem:
        offer = {
            "attendee": reauth,
            "name": reauth.printed_name or reauth.username,
            "provider": provider_name(None, reauth),
            "ticket": completed_ticket(user=reauth, meaning=COMPLETED, subject=item),
        }
    return render(
        request,
        "web/trainer/kiosk.html",
        {
            "session": item,
            "window": window,
            "problem": problem,
            "form": None if problem else form,
            "offer": offer,
            "signed_in": request.user.is_authenticated,
            "roster": roster.order_by("person__full_name"),
            "zone": item.site.time_zone,
        },
        status=status,
    )
