"""The trainer's pages: the start page and an on-the-job sign-off (trainee and trainer
sign, the trainee with user id and password every time: session=None, S1).

Classroom sessions are run from web.trainer.sessions: scheduled with a room and
seats, attendees sign on the kiosk in the room or their own device while the
trainer's signing window is open, never on the trainer's screen (P40). The older
page where each attendee typed their password on the trainer's computer is retired.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from qualify.accounts.models import User
from qualify.quality.queries import work
from qualify.signatures.queries import signature_checks
from qualify.training.models import Method
from qualify.training.services.records import record_on_the_job
from qualify.training.services.records._common import COMPLETED, TRAINED_BY
from qualify.training.services.records.trained import SESSION_FIELDS
from qualify.web.employee.common import add_errors, local_input, zone_of
from qualify.web.employee.forms import SignForm
from qualify.web.trainer import queries
from qualify.web.trainer.forms import ChecklistForm

TRAINER = "signatures.sign_trained_by"


def _failures(user) -> tuple[int, bool]:
    row = User.objects.filter(pk=user.pk).values_list("failed_login_count", "locked_at").get()
    return row[0], row[1] is not None


def home(request):
    return render(
        request,
        "web/trainer/home.html",
        {
            "classroom": queries.requirements(request.user, Method.CLASSROOM),
            "ojt": queries.requirements(request.user, Method.ON_THE_JOB),
        },
    )


def people_search(request):
    """htmx fragment: people matching the search, each with an Add button."""
    return render(
        request,
        "web/trainer/_people_results.html",
        {
            "results": queries.search_people(request.user, request.GET.get("q", "")),
            "q": request.GET.get("q", ""),
            "target": request.GET.get("target", "ojt"),
            "requirement_id": request.GET.get("requirement", ""),
            "roster_ids": request.GET.getlist("attendee"),
        },
    )


def on_the_job(request):
    zone = zone_of(request.user)
    params = request.POST if request.method == "POST" else request.GET
    requirement_id = params.get("requirement")
    if not requirement_id:
        return render(
            request,
            "web/trainer/pick.html",
            {
                "title": "On-the-job sign-off",
                "action": reverse("web:trainer_ojt"),
                "requirements": queries.requirements(request.user, Method.ON_THE_JOB),
            },
        )
    requirement = queries.requirement(request.user, requirement_id, Method.ON_THE_JOB)
    items = [line.strip() for line in requirement.checklist.splitlines() if line.strip()]
    trainee_id = params.get("trainee")
    trainee = queries.person(request.user, trainee_id) if trainee_id else None
    context = {"requirement": requirement, "trainee": trainee, "zone": zone}
    if trainee is None:
        context["results"] = queries.search_people(request.user, params.get("q", ""))
        context["q"] = params.get("q", "")
        return render(request, "web/trainer/ojt.html", context)
    data = request.POST if request.method == "POST" else None
    form = ChecklistForm(
        data, items=items, initial={"attested_at": local_input(timezone.now(), zone)}
    )
    trainee_form = SignForm(data, prefix="trainee", ask_username=True, ask_code=None)
    # Issue 16: both signatures name what they sign (the meaning and the trainee's
    # open assignment: no record exists before this form is posted), so a ticket
    # signs this one assignment. A trainee whose local password is off
    # re-authenticates at the provider on this screen, as themselves; the ticket is
    # theirs.
    pending = queries.pending_signature(trainee, requirement)
    if trainee.user_id:
        trainee_form.sign_through_provider(
            user=trainee.user, session=None, meaning=COMPLETED, subject=pending, cosigner=True
        )
    trainer_form = SignForm.for_signer(
        request.user, request.session, data, prefix="trainer", meaning=TRAINED_BY, subject=pending
    )
    if data is not None:
        valid = form.is_valid() & trainee_form.is_valid() & trainer_form.is_valid()
        if valid:
            before, _ = _failures(request.user)
            try:
                record = record_on_the_job(
                    actor=request.user,
                    trainee=trainee,
                    requirement=requirement,
                    attested_at=form.attested(zone),
                    trainee_credentials=trainee_form.credentials(session=None),
                    trainer_credentials=trainer_form.credentials(request.session),
                    checklist_ok=form.checklist_ok,
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as error:
                after, locked = _failures(request.user)
                fields = set(getattr(error, "error_dict", {}))
                if after > before or locked:
                    add_errors(trainer_form, error)
                elif fields & SESSION_FIELDS:
                    add_errors(form, error)
                else:
                    add_errors(trainee_form, error)
            else:
                messages.success(
                    request,
                    f"Recorded {requirement.code} for {trainee.full_name}. "
                    + work.next_actor(work.PRACTICAL_SIGNED),
                )
                context["done"] = (record, signature_checks(record))
                return render(request, "web/trainer/ojt_done.html", context)
    context.update(form=form, trainee_form=trainee_form, trainer_form=trainer_form)
    return render(request, "web/trainer/ojt.html", context)
