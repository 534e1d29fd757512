"""The read-and-understood signing dialog for a person who signs through the
identity provider (issue 16, S1): instead of a password, a forced re-authentication
at the provider bound to this one pending signature, then the signature with the
ticket it returned. The signing service is the same as with a password."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from qualify.identity import reauth
from qualify.identity.views import provider_name, start_reauth
from qualify.quality.queries import work
from qualify.signatures.services import Credentials
from qualify.training.services import record_read_and_understood
from qualify.training.services.records._common import READ
from qualify.web.employee.common import zone_of


def assignment_sso(request, item, *, delta, missing):
    problem = ""
    ticket = request.POST.get("reauth_ticket") or request.GET.get("reauth") or ""
    if request.method == "POST" and request.POST.get("action") == "reauth":
        try:
            return start_reauth(request, meaning=READ, obj=item, return_url=request.path)
        except reauth.ReauthImpossible as error:
            problem = f"Signature not possible. {error}"
    elif request.method == "POST" and ticket:
        try:
            record = record_read_and_understood(
                actor=request.user,
                assignment=item,
                credentials=Credentials(
                    reauth_ticket=ticket, subject=item, session=request.session
                ),
                delta_from=delta.since if delta and delta.redline.readable else None,
            )
        except ValidationError as error:
            problem = " ".join(error.messages)
            ticket = ""
        else:
            what = record.document_version or item.requirement
            messages.success(
                request, f"Signed: you read and understood {what}. {work.next_actor(work.READ)}"
            )
            return redirect("web:employee_record", pk=record.pk)
    return render(
        request,
        "web/employee/assignment.html",
        {
            "assignment": item,
            "form": None,
            "sso": {"name": provider_name(request), "ticket": ticket, "problem": problem},
            "zone": zone_of(request.user),
            "delta": delta,
            "missing": missing,
        },
    )
