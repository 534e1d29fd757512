"""The coordinator's external certificates: those awaiting verification first; each
one with its file, verified with a signature ("certificate_verified") or rejected with a reason.
Verifying makes the training record, which the person then signs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from qualify.audit import access
from qualify.guards import AlreadyDone
from qualify.signatures.queries import signature_checks
from qualify.training import queries_completion as queries
from qualify.training import services as training
from qualify.training.models import CertificateStatus
from qualify.web.employee.common import add_errors, zone_of
from qualify.web.employee.forms import SignForm
from qualify.web.files import serve_upload


def certificate_list(request):
    rows = queries.certificates(request.user)
    waiting = list(queries.certificates_waiting(request.user)[:200])
    decided = list(rows.exclude(status=CertificateStatus.SUBMITTED)[:50])
    # P141: which records a list showed goes to the access log, as an opening does.
    access.note_shown([*waiting, *decided], user=request.user, path=request.path)
    return render(
        request,
        "web/coordinator/certificates.html",
        {"waiting": waiting, "decided": decided, "zone": zone_of(request.user)},
    )


def certificate_detail(request, pk: int):
    item = queries.certificates(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("No such certificate.")
    if request.GET.get("file"):
        return serve_upload(item.file)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    waiting = item.status == CertificateStatus.SUBMITTED
    form = (
        SignForm.for_signer(
            request.user,
            request.session,
            request.POST if action == "verify" else None,
            meaning="certificate_verified",
            subject=item,
        )
        if waiting
        else None
    )
    reject_error = ""
    try:
        if action == "verify" and form is not None and form.is_valid():
            verified = training.certificate_verify(
                actor=request.user, certificate=item, credentials=form.credentials(request.session)
            )
            messages.success(
                request,
                f"Verified and signed: training record {verified.record_id} made for "
                f"{item.person.full_name}, who signs it next.",
            )
            return redirect("web:coordinator_certificate", pk=item.pk)
        if action == "reject":
            training.certificate_reject(
                actor=request.user, certificate=item, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Rejected; nothing was recorded.")
            return redirect("web:coordinator_certificate", pk=item.pk)
    except AlreadyDone as error:
        messages.info(request, error.messages[0])
        return redirect("web:coordinator_certificate", pk=item.pk)
    except ValidationError as error:
        if action == "verify" and form is not None:
            add_errors(form, error)
        else:
            reject_error = " ".join(error.messages)
    except PermissionDenied as error:
        reject_error = str(error)
    return render(
        request,
        "web/coordinator/certificate.html",
        {
            "certificate": item,
            "form": form,
            "reject_error": reject_error,
            "checks": signature_checks(item),
            "file_url": reverse("web:coordinator_certificate", args=[item.pk]) + "?file=1",
            "zone": zone_of(request.user),
        },
    )
