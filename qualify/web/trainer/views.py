"""The trainer's pages: a classroom session (roster, attendance, each attendee signs
with their own credentials, the trainer signs) and an on-the-job sign-off.

`record_classroom_session` records the whole session or nothing: each record is signed
by its trainee (completed_training) and the trainer (trained_by), and one attendee
refused (a wrong password) records no one. A second submission of the same session
(double click, second tab) is answered "already recorded" and writes nothing (P21).
Attendees sign on the trainer's screen, so their credentials never
use the trainer's session (session=None: user id and password every time, S1).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from qualify.accounts.models import User
from qualify.guards import AlreadyDone
from qualify.quality.queries import work
from qualify.signatures.queries import signature_checks
from qualify.training.models import Method
from qualify.training.services.records import (
    AttendeesRefused,
    record_classroom_session,
    record_on_the_job,
)
from qualify.training.services.records.trained import SESSION_FIELDS
from qualify.web.employee.common import add_errors, local_input, zone_of
from qualify.web.employee.forms import SignForm
from qualify.web.trainer import queries
from qualify.web.trainer.forms import ChecklistForm, SessionForm

TRAINER = "signatures.sign_trained_by"


def _failures(user) -> tuple[int, bool]:
    row = User.objects.filter(pk=user.pk).values_list("failed_login_count", "locked_at").get()
    return row[0], row[1] is not None


def _attendee_form(person, data=None) -> SignForm:
    return SignForm(data, prefix=f"a{person.pk}", ask_username=True, ask_code=None)


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
            "target": request.GET.get("target", "classroom"),
            "requirement_id": request.GET.get("requirement", ""),
            "roster_ids": request.GET.getlist("attendee"),
        },
    )


def classroom(request):
    zone = zone_of(request.user)
    params = request.POST if request.method == "POST" else request.GET
    requirement_id = params.get("requirement")
    if not requirement_id:
        return render(
            request,
            "web/trainer/pick.html",
            {
                "title": "Classroom session",
                "action": reverse("web:trainer_classroom"),
                "requirements": queries.requirements(request.user, Method.CLASSROOM),
            },
        )
    requirement = queries.requirement(request.user, requirement_id, Method.CLASSROOM)
    ids = params.getlist("attendee")
    if "suggest" in params:
        ids = [str(p.pk) for p in queries.due(request.user, requirement)]
    roster = queries.roster(request.user, ids)
    if request.method != "POST":
        session_form = SessionForm(initial={"attested_at": local_input(timezone.now(), zone)})
        trainer_form = SignForm.for_signer(request.user, request.session, prefix="trainer")
        rows = [(p, _attendee_form(p)) for p in roster]
        return _render_classroom(request, requirement, roster, session_form, trainer_form, rows, [])

    present = set(request.POST.getlist("present"))
    session_form = SessionForm(request.POST)
    trainer_form = SignForm.for_signer(
        request.user, request.session, request.POST, prefix="trainer"
    )
    rows = [(p, _attendee_form(p, request.POST if str(p.pk) in present else None)) for p in roster]
    signing = [(p, f) for p, f in rows if str(p.pk) in present]
    done = []
    if not signing:
        session_form.add_error(None, "Tick at least one attendee who was present.")
    valid = session_form.is_valid() & trainer_form.is_valid()
    valid = all([f.is_valid() for _, f in signing]) and valid
    if valid:
        # All or nothing (issue 9): one attendee refused records no one.
        before, _ = _failures(request.user)
        try:
            records = record_classroom_session(
                actor=request.user,
                requirement=requirement,
                attested_at=session_form.attested(zone),
                attendees=[(p, f.credentials(session=None)) for p, f in signing],
                trainer_credentials=trainer_form.credentials(request.session),
                notes=session_form.cleaned_data["notes"],
            )
        except AlreadyDone as error:
            # P21: the same session submitted twice (double click, second tab).
            messages.info(request, error.messages[0])
            return redirect(f"{reverse('web:trainer_classroom')}?requirement={requirement.pk}")
        except AttendeesRefused as error:
            forms_by_person = {p.pk: f for p, f in signing}
            for person_id, reason in error.by_person.items():
                add_errors(forms_by_person[person_id], reason)
            session_form.add_error(None, error.messages[0])
        except ValidationError as error:
            after, locked = _failures(request.user)
            if after > before or locked:
                add_errors(trainer_form, error)  # the trainer's own credentials
            else:
                add_errors(session_form, error)
        else:
            done = [(r.person, r, signature_checks(r)) for r in records]
            messages.success(
                request,
                f"Recorded {len(done)} attendee(s) of {requirement.code}. "
                + work.next_actor(work.SESSION_RECORDED),
            )
    recorded = {p.pk for p, _, _ in done}
    rows = [(p, f) for p, f in rows if p.pk not in recorded]
    if not rows and done:
        trainer_form = None
    return _render_classroom(
        request, requirement, [p for p, _ in rows], session_form, trainer_form, rows, done
    )


def _render_classroom(request, requirement, roster, session_form, trainer_form, rows, done):
    return render(
        request,
        "web/trainer/classroom.html",
        {
            "requirement": requirement,
            "roster": roster,
            "roster_ids": [p.pk for p in roster],
            "session_form": session_form,
            "trainer_form": trainer_form,
            "rows": rows,
            "done": done,
            "zone": zone_of(request.user),
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
    trainer_form = SignForm.for_signer(request.user, request.session, data, prefix="trainer")
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
