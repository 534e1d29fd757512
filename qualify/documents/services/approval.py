"""Approval: QA signs "approved", the version takes effect and ends its predecessor (Q1)."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents import events, timeline
from qualify.documents.models import DocumentVersion, VersionStatus
from qualify.documents.services._checks import (
    _at,
    _check_editorial,
    _check_has_baseline,
    _fresh_version,
    _latest_approved,
    _lock_document,
    _refuse_if_obsolete,
    _valid_reviews,
)
from qualify.guards import AlreadyDone, require_aware, require_perm
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials, authenticate_signer, sign


class ApprovalRefused(ValidationError):
    """An approval refused for a reason a regulation cares about (A5): no valid review,
    or the approver wrote or reviewed the revision (S2)."""


def approval_problem(version: DocumentVersion, user: Any) -> str | None:
    """Why `user` may not approve `version` on review and segregation grounds (S2), in
    words for the page to show before anyone types a password; None when nothing stands
    in the way."""
    if version.author_id == user.pk:
        return f"You wrote revision {version.revision}; a different person must approve it."
    reviews = _valid_reviews(version)
    if not reviews:
        return (
            f"Revision {version.revision} has no valid review signature; it must be "
            "reviewed before approval."
        )
    if any(review.signer_id == user.pk for review in reviews):
        # S2: reviewer and approver are different people.
        return f"You reviewed revision {version.revision}; a different person must approve it."
    return None


def _check_approvable(
    version: DocumentVersion,
    actor: Any,
    *,
    effective_from: dt.datetime | None,
    reason: str,
    now: dt.datetime,
) -> tuple[dt.datetime, DocumentVersion | None]:
    """Every rule an approval must meet; returns (effective_from, version it ends)."""
    document = version.document
    if version.status == VersionStatus.APPROVED:
        # P21: a second submission (double click, second tab) writes nothing; the
        # row lock in version_approve makes the second one see the first.
        raise AlreadyDone(
            f"Revision {version.revision} is already approved; nothing new was written.",
            existing=version,
        )
    _refuse_if_obsolete(document)
    if version.status != VersionStatus.IN_REVIEW:
        raise ValidationError(
            f"Revision {version.revision} is {version.get_status_display().lower()}; "
            "only a version in review can be approved."
        )
    problem = approval_problem(version, actor)
    if problem:
        raise ApprovalRefused(problem)
    _check_editorial(version.retraining_required, version.editorial_justification)
    _check_has_baseline(document, version.retraining_required)
    effective = effective_from if effective_from is not None else now
    if effective_from is not None and effective_from < now and not (reason or "").strip():
        raise ValidationError(
            {
                "reason": (
                    f"The effective date {_at(effective_from)} is in the past; "
                    "give the reason for backdating it."
                )
            }
        )
    previous = _latest_approved(document)
    if previous is not None and effective <= previous.effective_from:
        raise ValidationError(
            {
                "effective_from": (
                    f"Revision {previous.revision} takes effect at "
                    f"{_at(previous.effective_from)}; the new version must take effect "
                    "after it, or the effective periods would overlap."
                )
            }
        )
    return effective, previous


def version_approve(
    *,
    actor: Any,
    version: DocumentVersion,
    credentials: Credentials,
    effective_from: dt.datetime | None = None,
    reason: str = "",
    window_exception_reason: str = "",
) -> DocumentVersion:
    """QA signs "approved"; the version takes effect at effective_from (default now)
    and ends the previous version there (Q1). Its baseline is fixed (Q2), and the
    version_approved hook lets the training layer assign retraining (G3) in the same
    transaction; window_exception_reason is QA's reason to let the version take
    effect before the training window ends."""
    require_perm(
        actor,
        "documents.approve_version",
        "signatures.sign_approved",
        message="Only a QA approver can approve document versions.",
    )
    if effective_from is not None:
        require_aware(effective_from, "effective_from")
    check_client(actor, version.document.client_id)
    try:
        _check_approvable(
            _fresh_version(version),
            actor,
            effective_from=effective_from,
            reason=reason,
            now=timezone.now(),
        )
    except ApprovalRefused as refused:
        # A5: before any transaction opens, so the refusal's event is committed.
        audit.record_refusal(
            "document.version.approval_refused",
            actor=actor,
            obj=version,
            why=" ".join(refused.messages),
            detail={"document": version.document.number, "revision": version.revision},
        )
        raise
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="approved")
    with transaction.atomic():
        document = _lock_document(version.document)
        version = _fresh_version(version, lock=True)
        now = timezone.now()
        effective, previous = _check_approvable(
            version, actor, effective_from=effective_from, reason=reason, now=now
        )
        window_exception_reason = (window_exception_reason or "").strip()
        before = audit.state_of(version)
        version.status = VersionStatus.APPROVED
        version.approved_at = now
        version.effective_from = effective
        version.baseline = timeline.baseline_of(version, list(document.versions.all()))
        version.full_clean()
        version.save()
        audit.record(
            "document.version.approved",
            version,
            actor=actor,
            before=before,
            reason=(reason or "").strip() or f"Approved, effective from {_at(effective)}",
            detail={
                "ends_revision": previous.revision if previous else None,
                "window_exception_reason": window_exception_reason,
            },
        )
        if previous is not None:
            before_previous = audit.state_of(previous)
            previous.effective_to = effective
            previous.full_clean()
            previous.save()
            audit.record(
                "document.version.ended",
                previous,
                actor=actor,
                before=before_previous,
                reason=f"Superseded by revision {version.revision} from {_at(effective)}",
            )
        sign(proof=proof, obj=version, meaning="approved")
        events.version_approved.fire(
            actor=actor, version=version, window_exception_reason=window_exception_reason
        )
    return version
