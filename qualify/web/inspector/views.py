"""Inspector and auditor, read-only: "was this person qualified on this document at
this moment?" with the evidence, a person's transcript, a document's training status
per version, and any record's audit trail with its verification status."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qualify import progress
from qualify.audit import access
from qualify.audit.background_verify import verification_start
from qualify.audit.verification_runs import VerificationRun
from qualify.documents.queries import document_by_number
from qualify.org.queries import people
from qualify.training import engine
from qualify.training.queries import person_transcript
from qualify.web.documents.kit import set_zone, user_zone
from qualify.web.inspector.forms import PersonForm, QuestionForm, TrailForm
from qualify.web.inspector.queries import (
    NotFound,
    document_training_status,
    find_record,
    object_trail,
)

READ = ("training.view_trainingrecord", "documents.approve_version")
TRAIL = "audit.view_audit_trail"


def _person(user, key: str):
    key = (key or "").strip()
    rows = people(user)  # U2: only people the user may see
    return rows.filter(employee_number=key).first() or rows.filter(user__username=key).first()


def question(request):
    zone = user_zone(request.user)
    form = QuestionForm(request.GET or None)
    set_zone(form, zone)
    answer = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        person = _person(request.user, data["person"])
        document = document_by_number(data["document"], request.user)
        if person is None:
            form.add_error("person", "No person you may see has this employee number or user id.")
        if document is None:
            form.add_error("document", "No document you may see has this number.")
        if person is not None and document is not None:
            answer = engine.document_qualification(
                person,
                document,
                at=data["at"] or timezone.now(),
                as_known_at=data["as_known_at"],
            )
    return render(
        request,
        "web/inspector/question.html",
        {"form": form, "answer": answer, "zone": zone},
    )


def transcript_find(request):
    form = PersonForm(request.GET or None)
    if form.is_bound and form.is_valid():
        person = _person(request.user, form.cleaned_data["person"])
        if person is not None:
            return redirect("web:inspector_transcript", pk=person.pk)
        form.add_error("person", "No person you may see has this employee number or user id.")
    return render(request, "web/inspector/transcript_find.html", {"form": form})


def transcript(request, pk: int):
    person = get_object_or_404(people(request.user), pk=pk)
    # U2: only the records of the user's clients' requirements.
    lines = person_transcript(person, user=request.user)
    # P141: the person opened and each training record the transcript lists.
    access.note(person, user=request.user, path=request.path)
    access.note_shown([line.record for line in lines], user=request.user, path=request.path)
    return render(
        request,
        "web/inspector/transcript.html",
        {"person": person, "lines": lines, "zone": person.site.time_zone},
    )


def document_status(request, number: str):
    document = document_by_number(number, request.user)
    if document is None:
        raise Http404("No such document.")
    now = timezone.now()
    rows = document_training_status(document)
    for row in rows:
        row["state"] = row["version"].state_at(now)
    return render(
        request,
        "web/inspector/document_status.html",
        {"document": document, "rows": rows, "zone": user_zone(request.user)},
    )


NOT_FOUND = (
    "No record you may see is called “{}”. Give its name and number as shown on its page, "
    "for example SOP-014 rev 6, training record 700, CAPA-2026-007 or an employee number."
)


def audit_trail(request):
    """One record's trail, the record named as people name it ("SOP-014 rev 6"); the
    links from record pages pass its type and id. Only records the user may see (U2);
    a missing or hidden one gets the same plain message."""
    object_type = request.GET.get("object_type", "").strip().lower()
    object_id = request.GET.get("object_id", "").strip()
    form = TrailForm(None if object_type else (request.GET or None))
    trail = None
    not_found = ""
    try:
        if object_type:
            trail = object_trail(request.user, object_type=object_type, object_id=object_id)
        elif form.is_bound and form.is_valid():
            found_type, found_id = find_record(request.user, form.cleaned_data["record"])
            trail = object_trail(request.user, object_type=found_type, object_id=found_id)
    except NotFound:
        asked = form.data.get("record", "") if form.is_bound else f"#{object_id}"
        not_found = NOT_FOUND.format(" ".join(asked.split())[:100])
    return render(
        request,
        "web/inspector/audit.html",
        {"form": form, "trail": trail, "not_found": not_found, "zone": user_zone(request.user)},
        status=404 if not_found else 200,
    )


def audit_verify(request):
    """The whole trail: chain, Merkle tree, checkpoints and live records (A3, A4). A POST
    queues the verification as a background task (P143) and leads to its progress."""
    if request.method == "POST":
        run = verification_start(actor=request.user)
        return redirect("web:inspector_verify_run", pk=run.pk)
    latest = VerificationRun.objects.filter(requested_by=request.user).first()
    return render(request, "web/inspector/verify.html", _run_context(latest))


def audit_verify_run(request, pk: int):
    """One verification's progress, polled by the page until it finishes (htmx)."""
    run = get_object_or_404(VerificationRun, pk=pk, requested_by=request.user)
    template = "web/inspector/_verify.html" if request.htmx else "web/inspector/verify.html"
    return render(request, template, _run_context(run))


def _run_context(run) -> dict:
    if run is None:
        return {"run": None}
    return {
        "run": run,
        "estimate": progress.estimate_for(run.started_at, timezone.now(), run.done, run.total),
    }
