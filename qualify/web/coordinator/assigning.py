"""The coordinator's ad-hoc assignments (G5), their cancellation (G6, G7) and record
corrections (R1). Thin: parse a form, call one service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qualify.documents import queries as document_queries
from qualify.documents.models import VersionStatus
from qualify.org.queries import people as people_query
from qualify.signatures.services import Credentials
from qualify.training import queries as training_queries
from qualify.training import services as training
from qualify.training.models import TRAINER_METHODS, Curriculum, Method
from qualify.training.services.records._common import COMPLETED, READ, TRAINED_BY
from qualify.training.services.records.correction import CORRECTABLE
from qualify.web.coordinator.assigning_forms import AdHocForm, CancelForm, CorrectionForm
from qualify.web.documents.kit import SigningForm, set_zone, show_errors, user_zone
from qualify.web.employee.forms import SignForm
from qualify.web.lookup import queries as lookup


def _people(user, keys: list[str]) -> tuple[list, list[str]]:
    """The people named by employee number or user id (within the user's reach), and
    the keys that name nobody."""
    found, unknown = {}, []
    visible = people_query(user)
    for key in keys:
        match = Q(employee_number__iexact=key) | Q(user__username__iexact=key)
        person = visible.filter(match).first()
        if person is None:
            unknown.append(key)
        else:
            found[person.pk] = person
    return list(found.values()), unknown


def assignment_new(request):
    zone = user_zone(request.user)
    form = AdHocForm(
        request.POST or None,
        initial={
            "document": request.GET.get("document"),
            "job_function": request.GET.get("job_function"),
        },
        documents=lookup.OPEN_DOCUMENTS.rows(request.user),
        curricula=Curriculum.objects.order_by("code"),
        requirements=lookup.REQUIREMENTS.rows(request.user),
        job_functions=lookup.JOB_FUNCTIONS.rows(request.user),
    )
    set_zone(form, zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        people, unknown = _people(request.user, form.keys())
        if unknown:
            form.add_error(
                "people", f"No person has this employee number or user id: {', '.join(unknown)}."
            )
        else:
            try:
                result = training.assignment_assign_adhoc(
                    actor=request.user,
                    people=people,
                    job_function=data["job_function"],
                    document=data["document"],
                    curriculum=data["curriculum"],
                    requirement=data["requirement"],
                    due_at=data["due_at"],
                    reason=data["reason"],
                )
            except (ValidationError, PermissionDenied) as exc:
                show_errors(exc, form)
            else:
                made, kept = len(result.created), len(result.already_open)
                text = f"{made} assignment{'s' if made != 1 else ''} made"
                if kept:
                    text += f"; {kept} already open and due by then, left as they are"
                messages.success(request, text + ".")
                return redirect("web:coordinator_assignments")
    return render(
        request,
        "web/coordinator/assignment_new.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _assignment(request, pk: int):
    return get_object_or_404(
        training_queries.visible_assignments(request.user).select_related(
            "person__site", "requirement", "document_version__document", "created_by", "record"
        ),
        pk=pk,
    )


def _assignment_page(request, assignment, form, *, status=200):
    return render(
        request,
        "web/coordinator/assignment.html",
        {
            "a": assignment,
            "form": form,
            "cancel_problem": training.cancel_problem(assignment),
            "may_cancel": request.user.has_perm("training.assign_training"),
            "zone": user_zone(request.user),
            "now": timezone.now(),
        },
        status=status,
    )


def assignment_detail(request, pk: int):
    return _assignment_page(request, _assignment(request, pk), CancelForm())


def assignment_cancel(request, pk: int):
    assignment = _assignment(request, pk)
    if request.method != "POST":
        return redirect("web:coordinator_assignment", pk=assignment.pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            training.assignment_cancel(
                actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as exc:
            show_errors(exc, form)
        else:
            messages.success(request, "Assignment cancelled; it stays on record with your reason.")
            return redirect("web:coordinator_assignment", pk=assignment.pk)
    assignment.refresh_from_db()
    return _assignment_page(request, assignment, form, status=422)


# --- R1: record corrections --------------------------------------------------------------


def _record(request, pk: int):
    return get_object_or_404(training_queries.training_records(request.user), pk=pk)


def _chain(request, record) -> list:
    """Every record of the correction chain `record` belongs to, oldest first, as
    transcript lines (signatures checked): both records stay visible (R1). A correction
    is of the same person and requirement (record_correct), so only those are read."""
    lines = training_queries.person_transcript(
        record.person, user=request.user, requirement=record.requirement_id
    )
    by_pk = {line.record.pk: line for line in lines}
    first = record
    while first.supersedes_id and first.supersedes_id in by_pk:
        first = by_pk[first.supersedes_id].record
    chain, current = [], by_pk.get(first.pk)
    while current is not None:
        chain.append(current)
        nxt = current.superseded_by
        current = by_pk.get(nxt.pk) if nxt is not None else None
    return chain


def record_detail(request, pk: int):
    record = _record(request, pk)
    return render(
        request,
        "web/coordinator/record.html",
        {
            "record": record,
            "chain": _chain(request, record),
            "zone": user_zone(request.user),
            "may_correct": request.user.has_perm("training.record_training"),
        },
    )


def _trainee_through_provider(request, record, form):
    """The trainee's signature on the correction, when someone else enters it and the
    trainee signs through the identity provider (issue 16): no user id or password
    they could not use, but the provider's re-authentication as themselves on this
    screen, bound to their meaning and the record corrected. None otherwise."""
    trainee = record.person.user
    if not form.trainee_signs or trainee is None:
        return None
    trainee_form = SignForm(
        request.POST or None, prefix="trainee", ask_username=False, ask_code=None
    )
    trainee_form.sign_through_provider(
        user=trainee,
        session=None,
        meaning=READ if record.method == Method.READ_AND_UNDERSTAND else COMPLETED,
        subject=record,
        cosigner=True,
    )
    if not trainee_form.reauth:
        return None
    for name in ("trainee_username", "trainee_password"):
        form.fields.pop(name, None)
    form.trainee_signs = False  # the trainee's signature comes from `trainee_form`
    return trainee_form


def record_correct(request, pk: int):
    record = _record(request, pk)
    if hasattr(record, "superseded_by") and record.superseded_by is not None:
        messages.info(request, "This record was corrected already; correct the latest record.")
        return redirect("web:coordinator_record", pk=record.superseded_by.pk)
    is_trainee = record.person.user_id == request.user.pk
    actor_signs = record.method in TRAINER_METHODS or is_trainee
    requirement = record.requirement
    versions = (
        document_queries.versions(request.user).filter(
            document_id=requirement.document_id, status=VersionStatus.APPROVED
        )
        if requirement.document_id
        else document_queries.versions(request.user).none()
    )
    form = CorrectionForm(
        request.POST or None,
        request.FILES or None,
        correctable=CORRECTABLE[record.method],
        versions=versions,
        trainers=people_query(request.user).filter(active=True).order_by("full_name"),
        trainee_signs=not is_trainee,
    )
    zone = user_zone(request.user)
    set_zone(form, zone)
    # What the actor's own signature means (the service signs the same), for a
    # re-authentication at the identity provider bound to this record (issue 16).
    if record.method in TRAINER_METHODS:
        signs_as = TRAINED_BY
    else:
        signs_as = READ if record.method == Method.READ_AND_UNDERSTAND else COMPLETED
    sign_form = SigningForm(
        request.POST or None,
        user=request.user,
        session=request.session,
        meaning=signs_as,
        subject=record,
    )
    trainee_form = _trainee_through_provider(request, record, form)
    if request.method == "POST":
        sign_ok = sign_form.is_valid() if actor_signs else True
        trainee_ok = trainee_form.is_valid() if trainee_form else True
        if form.is_valid() and sign_ok and trainee_ok:
            data = form.cleaned_data
            trainee_credentials = None
            if trainee_form:
                trainee_credentials = trainee_form.credentials(session=None)
            elif form.trainee_signs:
                # The trainee signs on this screen: never the coordinator's session, so
                # user id and password are always asked.
                trainee_credentials = Credentials(
                    username=data["trainee_username"],
                    password=data["trainee_password"],
                    session=None,
                )
            try:
                new = training.record_correct(
                    actor=request.user,
                    record=record,
                    reason=data["reason"],
                    credentials=(
                        sign_form.credentials() if actor_signs else Credentials(password="")
                    ),
                    trainee_credentials=trainee_credentials,
                    **form.corrected(),
                )
            except (ValidationError, PermissionDenied) as exc:
                if hasattr(exc, "error_dict") and "trainee_credentials" in exc.error_dict:
                    exc.error_dict.setdefault(
                        "reauth_ticket" if trainee_form else "trainee_password", []
                    ).extend(exc.error_dict.pop("trainee_credentials"))
                show_errors(exc, form, *[f for f in (trainee_form, sign_form) if f])
            else:
                messages.success(
                    request, "Correction signed: the new record supersedes the old one."
                )
                return redirect("web:coordinator_record", pk=new.pk)
    return render(
        request,
        "web/coordinator/record_correct.html",
        {
            "record": record,
            "form": form,
            "sign_form": sign_form,
            "trainee_form": trainee_form,
            "actor_signs": actor_signs,
            "zone": zone,
        },
        status=422 if request.method == "POST" else 200,
    )
