"""Obsolescence: QA makes a document obsolete and its last version ends (Q1)."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents import events
from qualify.documents.models import Document, DocumentVersion
from qualify.documents.services._checks import (
    OPEN_STATUSES,
    _at,
    _latest_approved,
    _lock_document,
    _refuse_if_obsolete,
)
from qualify.guards import require_aware, require_perm, require_reason
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials, authenticate_signer, sign

# --- obsolescence -------------------------------------------------------------


def _check_obsoletable(document: Document, obsolete_from: dt.datetime) -> DocumentVersion | None:
    _refuse_if_obsolete(document)
    open_version = document.versions.filter(status__in=OPEN_STATUSES).first()
    if open_version is not None:
        raise ValidationError(
            f"Revision {open_version.revision} is "
            f"{open_version.get_status_display().lower()}; withdraw it before making "
            f"{document.number} obsolete."
        )
    last = _latest_approved(document)
    if last is not None and obsolete_from <= last.effective_from:
        raise ValidationError(
            {
                "obsolete_from": (
                    f"Revision {last.revision} takes effect at {_at(last.effective_from)}; "
                    "the document can only become obsolete after that."
                )
            }
        )
    return last


def document_obsolete(
    *,
    actor: Any,
    document: Document,
    obsolete_from: dt.datetime | None = None,
    reason: str,
    credentials: Credentials,
) -> Document:
    """QA signs "approved" to make the document obsolete from obsolete_from (default
    now); its last version ends there (Q1)."""
    require_perm(
        actor,
        "documents.obsolete_document",
        "signatures.sign_approved",
        message="Only a QA approver can make a document obsolete.",
    )
    reason = require_reason(reason)
    if obsolete_from is not None:
        require_aware(obsolete_from, "obsolete_from")
    check_client(actor, document.client_id)
    fresh = Document.objects.get(pk=document.pk)
    _check_obsoletable(fresh, obsolete_from or timezone.now())
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="approved")
    with transaction.atomic():
        document = _lock_document(document)
        now = timezone.now()
        ends_at = obsolete_from or now
        last = _check_obsoletable(document, ends_at)
        before = audit.state_of(document)
        document.obsolete_from = ends_at
        document.obsolete_recorded_at = now
        document.obsolete_reason = reason
        document.full_clean()
        document.save()
        audit.record(
            "document.obsoleted",
            document,
            actor=actor,
            before=before,
            reason=reason,
            detail={"ends_revision": last.revision if last else None},
        )
        if last is not None:
            before_last = audit.state_of(last)
            last.effective_to = ends_at
            last.full_clean()
            last.save()
            audit.record(
                "document.version.ended",
                last,
                actor=actor,
                before=before_last,
                reason=f"Document made obsolete: {reason}",
            )
        sign(proof=proof, obj=document, meaning="approved")
        events.document_obsoleted.fire(actor=actor, document=document, reason=reason)
    return document
