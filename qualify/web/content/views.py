"""The e-learning player (issue 15): the launching page with the SCORM adapter or
the cmi5 launch, the adapter's commit endpoint, the learner's signature, and the
package's files served from our origin under the package frame's policy."""

import json
import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from qualify.content import cmi5, queries, services
from qualify.content.manifest import CMI5, SCORM12, inside_package
from qualify.content.models import Attempt, AttemptStatus
from qualify.guards import AlreadyDone
from qualify.web.employee import queries as employee_queries
from qualify.web.employee.common import add_errors
from qualify.web.employee.forms import SignForm

# The package frame's policy: the package's own scripts and styles (authoring tools
# write inline script and some use eval), nothing from any other origin, no plugins,
# no forms posted anywhere, framed only by our own launching page.
PACKAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; frame-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'none'; frame-ancestors 'self'"
)


def _live_attempt(assignment) -> Attempt | None:
    return (
        Attempt.objects.select_related("package__version__document", "person")
        .filter(
            assignment=assignment,
            status__in=[AttemptStatus.OPEN, AttemptStatus.COMPLETED],
        )
        .first()
    )


def launch(request, pk: int):
    """The learner's e-learning for one assignment: start, play, resume, sign."""
    assignment = employee_queries.my_assignment(request.user, pk)
    if request.method == "POST":
        try:
            services.attempt_open(actor=request.user, assignment=assignment)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("web:employee_assignment", pk=assignment.pk)
        return redirect("web:content_launch", pk=assignment.pk)
    attempt = _live_attempt(assignment)
    context = {"assignment": assignment, "attempt": attempt}
    if attempt is None:
        return render(request, "web/content/start.html", context)
    manifest = services.manifest_of(attempt.package)
    items = manifest.items
    wanted = request.GET.get("item")
    index = next((i for i, it in enumerate(items) if it.identifier == wanted), 0)
    item = items[index]
    states = {s.item: s for s in attempt.scos.all()}
    context.update(
        manifest=manifest,
        items=[(it, states.get(it.identifier)) for it in items],
        item=item,
        previous=items[index - 1] if index > 0 else None,
        following=items[index + 1] if index + 1 < len(items) else None,
    )
    if attempt.status == AttemptStatus.COMPLETED:
        context["form"] = SignForm.for_signer(
            request.user, request.session, meaning="completed_training", subject=attempt
        )
    if manifest.kind == CMI5:
        # Each visit launches the AU anew (a new cmi5 session); not once completed.
        if attempt.status == AttemptStatus.OPEN:
            context["au_url"] = cmi5.launch_url(request, attempt=attempt, item=item)
    else:
        base = reverse("web:content_file", args=[attempt.package.version_id, "x"])[:-1]
        context["player"] = {
            "kind": manifest.kind,
            "api": "API" if manifest.kind == SCORM12 else "API_1484_11",
            "item": item.identifier,
            "items": [it.identifier for it in items],
            "launch": base + item.href,
            "commit": reverse("web:content_commit", args=[attempt.pk])
            + "?item="
            + _q(item.identifier)
            + "&key="
            + commit_key(attempt, request.user),
            "status": reverse("web:content_launch", args=[assignment.pk]),
            "state": reverse("web:content_status", args=[attempt.pk])
            + "?item="
            + _q(item.identifier),
            "cmi": services.launch_data(attempt, item),
            "course": f"qualify-attempt-{attempt.pk}-{item.identifier}",
        }
    return render(request, "web/content/player.html", context)


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def commit_key(attempt: Attempt, user) -> str:
    """The commit URL's secret: it stands in for the CSRF token, which the adapter's
    final commit (sent with navigator.sendBeacon, which carries no custom header) cannot
    send. Bound to the attempt and the learner; a page of another site cannot know it."""
    return salted_hmac("qualify.content.commit", f"{attempt.pk}:{user.pk}").hexdigest()


def status(request, pk: int):
    """What the server holds for an attempt and one of its SCOs: the player asks after
    Terminate/LMSFinish, whose final commit goes by navigator.sendBeacon and may still
    be on its way, before it leaves the page."""
    attempt = queries.my_attempt(request.user, pk)
    state = attempt.scos.filter(item=request.GET.get("item", "")).first()
    return JsonResponse(
        {
            "status": attempt.status,
            "captured": state.last_sequence if state else 0,
            "terminated": bool(state and state.terminated),
        }
    )


@csrf_exempt
@require_POST
def commit(request, pk: int):
    """The SCORM adapter's commits (scorm-again, JSON). Answers what the adapter reads:
    {"result": true|false, "errorCode": n}. The session authenticates; the key in the
    URL (commit_key) replaces the CSRF token."""
    attempt = queries.my_attempt(request.user, pk)
    code = 101 if attempt.package.kind == SCORM12 else 391
    if not constant_time_compare(request.GET.get("key", ""), commit_key(attempt, request.user)):
        return JsonResponse(
            {"result": False, "errorCode": code, "problems": ["The commit key is wrong."]},
            status=403,
        )
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = request.body.decode("utf-8", "replace")
    item = request.GET.get("item", "")
    final = request.GET.get("final") == "true"
    try:
        accepted, problems = services.runtime_commit(
            actor=request.user, attempt=attempt, item=item, body=body, final=final
        )
    except ValidationError as error:
        return JsonResponse({"result": False, "errorCode": code, "problems": error.messages})
    except PermissionDenied as error:
        return JsonResponse(
            {"result": False, "errorCode": code, "problems": [str(error)]}, status=403
        )
    attempt.refresh_from_db(fields=["status"])
    return JsonResponse(
        {
            "result": accepted,
            "errorCode": 0 if accepted else code,
            "problems": problems,
            "completed": attempt.status == AttemptStatus.COMPLETED,
        }
    )


@require_POST
def sign(request, pk: int):
    attempt = queries.my_attempt(request.user, pk)
    form = SignForm.for_signer(
        request.user, request.session, request.POST, meaning="completed_training", subject=attempt
    )
    if form.is_valid():
        try:
            record = services.attempt_sign(
                actor=request.user, attempt=attempt, credentials=form.credentials(request.session)
            )
        except AlreadyDone as done:
            messages.info(request, str(done))
            return redirect("web:employee_training")
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"Signed: you completed {attempt.package.version}. Training record {record.pk}.",
            )
            return redirect("web:employee_record", pk=record.pk)
    assignment = attempt.assignment
    return render(
        request,
        "web/content/signing.html",
        {"attempt": attempt, "assignment": assignment, "form": form},
        status=400,
    )


@xframe_options_sameorigin
def package_file(request, version: int, path: str):
    """A file of an unpacked package, from our origin, under PACKAGE_CSP."""
    package = queries.package_of_version(request.user, version)
    clean = inside_package(path)
    if clean is None:
        raise Http404("No such file in the package.")
    root = (Path(settings.MEDIA_ROOT) / package.folder).resolve()
    target = (root / clean).resolve()
    if root not in target.parents or not target.is_file():
        raise Http404("No such file in the package.")
    content_type, _ = mimetypes.guess_type(target.name)
    response = FileResponse(
        target.open("rb"), content_type=content_type or "application/octet-stream"
    )
    response["Content-Security-Policy"] = PACKAGE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
