"""What the document services share: the fields a service may change, the
permission and state checks and row locking (files are checked and hashed by
qualify.documents.uploads).
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError

from qualify.documents.models import Document, DocumentVersion, VersionStatus
from qualify.guards import require_perm
from qualify.signatures.services import content_hash, signatures_of

OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
DRAFT_FIELDS = {
    "revision",
    "change_summary",
    "retraining_required",
    "editorial_justification",
    "content_text",
    "file",
}
DOCUMENT_FIELDS = {
    "title",
    "doc_type",
    "owner",
    "site",
    "client",
    "frameworks",
    "review_interval_months",
}


# --- helpers ----------------------------------------------------------------


def _require_manage(actor: Any) -> None:
    require_perm(
        actor,
        "documents.manage_documents",
        message="Only a document controller can create documents and change drafts.",
    )


def _at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _lock_document(document: Document) -> Document:
    return Document.objects.select_for_update().get(pk=document.pk)


def _fresh_version(version: DocumentVersion, *, lock: bool = False) -> DocumentVersion:
    rows = DocumentVersion.objects.select_related("document")
    if lock:
        rows = rows.select_for_update(of=("self",))
    return rows.get(pk=version.pk)


def _latest_approved(document: Document) -> DocumentVersion | None:
    """The approved version with the latest effective_from: the one a new version
    ends (Q1)."""
    return (
        document.versions.filter(status=VersionStatus.APPROVED, effective_from__isnull=False)
        .order_by("-effective_from", "-sequence")
        .first()
    )


def _refuse_if_obsolete(document: Document) -> None:
    if document.obsolete_from is not None:
        raise ValidationError(
            f"{document.number} is obsolete from {_at(document.obsolete_from)}; "
            "its versions can no longer change."
        )


def _check_editorial(retraining_required: bool, justification: str) -> None:
    if retraining_required:
        return
    if not (justification or "").strip():
        raise ValidationError(
            {
                "editorial_justification": (
                    "A version that needs no retraining is an editorial change and needs a "
                    "written justification."
                )
            }
        )


def _check_has_baseline(document: Document, retraining_required: bool) -> None:
    """Q2: an editorial version keeps the training of an earlier version, so there
    must be an approved version that required retraining."""
    if retraining_required:
        return
    earlier = document.versions.filter(status=VersionStatus.APPROVED, retraining_required=True)
    if not earlier.exists():
        raise ValidationError(
            {
                "retraining_required": (
                    f"{document.number} has no approved version that required training, so "
                    "this version cannot be editorial: people have nothing to keep."
                )
            }
        )


def _valid_reviews(version: DocumentVersion) -> list:
    current = content_hash(version)
    return [
        s for s in signatures_of(version).filter(meaning="reviewed") if s.content_hash == current
    ]
