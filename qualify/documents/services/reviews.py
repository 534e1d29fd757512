"""Periodic review (qualify.documents.reviews says when it is due): a reviewer signs
"reviewed, no change", or starts a new revision that then goes through review and
approval like any other.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents import reviews
from qualify.documents.models import Document, DocumentVersion, PeriodicReview, ReviewOutcome
from qualify.documents.services._checks import _lock_document, _refuse_if_obsolete
from qualify.documents.services.versions import version_draft
from qualify.guards import require_perm
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials, authenticate_signer, sign

REVIEWED = "reviewed"


def _require_reviewer(actor: Any) -> None:
    require_perm(
        actor,
        "signatures.sign_reviewed",
        message="Only a document controller or a QA approver can record a periodic review.",
    )
    if not (
        actor.has_perm("documents.manage_documents") or actor.has_perm("documents.approve_version")
    ):
        raise PermissionDenied(
            "Only a document controller or a QA approver can record a periodic review."
        )


def _comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            {"comment": "Say what was checked and why no change is needed (or what changes)."}
        )
    return comment


def _check_reviewable(document: Document, now) -> reviews.ReviewStatus:
    _refuse_if_obsolete(document)
    status = reviews.review_status(document, at=now)
    if status.current is None:
        raise ValidationError(
            f"{document.number} has no version in force; there is nothing to review yet."
        )
    if status.open_revision is not None:
        raise ValidationError(
            f"Revision {status.open_revision.revision} was started from the last periodic "
            "review and is still open; approve or withdraw it first."
        )
    return status


def periodic_review_no_change(
    *, actor: Any, document: Document, comment: str, credentials: Credentials
) -> PeriodicReview:
    """The reviewer signs "reviewed": the version in force stays as it is, and the next
    review falls due one interval from now."""
    _require_reviewer(actor)
    comment = _comment(comment)
    check_client(actor, document.client_id)
    _check_reviewable(Document.objects.get(pk=document.pk), timezone.now())
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=REVIEWED)
    with transaction.atomic():
        document = _lock_document(document)
        now = timezone.now()
        status = _check_reviewable(document, now)
        review = PeriodicReview(
            document=document,
            version=status.current,
            outcome=ReviewOutcome.NO_CHANGE,
            due_at=status.due_at,
            comment=comment,
            reviewed_by=actor,
            reviewed_at=now,
        )
        review.full_clean()
        review.save()
        audit.record(
            "document.periodic_review.no_change",
            review,
            actor=actor,
            detail={"document": document.number, "revision": status.current.revision},
        )
        sign(proof=proof, obj=review, meaning=REVIEWED, comment="Periodic review: no change")
    return review


@transaction.atomic
def periodic_review_revise(
    *, actor: Any, document: Document, comment: str, **draft: Any
) -> tuple[PeriodicReview, DocumentVersion]:
    """The review found changes are needed: a new revision is drafted (version_draft's
    arguments in `draft`) and the review names it. The revision is signed through its
    own submission, review and approval; its approval restarts the review clock."""
    _require_reviewer(actor)
    comment = _comment(comment)
    check_client(actor, document.client_id)
    document = _lock_document(document)
    now = timezone.now()
    status = _check_reviewable(document, now)
    version = version_draft(actor=actor, document=document, **draft)
    review = PeriodicReview(
        document=document,
        version=status.current,
        outcome=ReviewOutcome.REVISION,
        revision=version,
        due_at=status.due_at,
        comment=comment,
        reviewed_by=actor,
        reviewed_at=now,
    )
    review.full_clean()
    review.save()
    audit.record(
        "document.periodic_review.revision",
        review,
        actor=actor,
        detail={"document": document.number, "new_revision": version.revision},
    )
    return review, version
