"""A version before approval: draft, change the draft, submit it (the author signs
"authored"), review it (a reviewer signs "reviewed"), or withdraw it.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents import events
from qualify.documents.models import Document, DocumentType, DocumentVersion, VersionStatus
from qualify.documents.services._checks import (
    DRAFT_FIELDS,
    OPEN_STATUSES,
    _check_has_baseline,
    _fresh_version,
    _lock_document,
    _refuse_if_obsolete,
    _require_manage,
)
from qualify.documents.uploads import checked_file
from qualify.guards import require_perm, require_reason
from qualify.org.scoping import check_client, may_access_client
from qualify.signatures.services import Credentials, authenticate_signer, sign

# --- drafting -----------------------------------------------------------------


@transaction.atomic
def version_draft(
    *,
    actor: Any,
    document: Document,
    revision: str,
    change_summary: str,
    retraining_required: bool = True,
    editorial_justification: str = "",
    file: Any = None,
    content_text: str = "",
    author: Any = None,
) -> DocumentVersion:
    """Start a new version. One version per document may be open (draft or in review)
    at a time.

    The author is the actor unless `author` names someone else: an integration's
    service account (an external document system) drafts on behalf of the person who
    wrote the revision, who alone can later sign it "authored" and submit it. That
    author must be an active person's account (never a service account) allowed to
    manage documents of this client; the audit event records both."""
    _require_manage(actor)
    document = _lock_document(document)
    check_client(actor, document.client_id)
    author = _check_author(author, actor, document)
    _refuse_if_obsolete(document)
    open_version = document.versions.filter(status__in=OPEN_STATUSES).first()
    if open_version is not None:
        raise ValidationError(
            f"{document.number} already has revision {open_version.revision} "
            f"{open_version.get_status_display().lower()}; approve or withdraw it first."
        )
    revision = (revision or "").strip()
    if document.versions.filter(revision=revision).exists():
        raise ValidationError(
            {"revision": f"{document.number} already has a revision {revision!r}."}
        )
    _check_has_baseline(document, retraining_required)
    last = document.versions.aggregate(last=Max("sequence"))["last"] or 0
    version = DocumentVersion(
        document=document,
        revision=revision,
        sequence=last + 1,
        status=VersionStatus.DRAFT,
        change_summary=(change_summary or "").strip(),
        retraining_required=retraining_required,
        editorial_justification=(editorial_justification or "").strip(),
        content_text=content_text or "",
        author=author,
        created_at=timezone.now(),
    )
    if file is not None:
        # Only inert content, checked by its bytes; the original bytes and their
        # SHA-256 are kept as evidence (issue 10).
        named, checked = checked_file(file, package=_is_package(document))
        version.file_sha256 = checked.sha256
        version.file = named
    version.full_clean()
    version.save()  # stores the file
    if file is not None:
        events.version_file_stored.fire(actor=actor, version=version)
    detail = None
    if author.pk != actor.pk:
        detail = {
            "on_behalf_of": {
                "user_id": author.pk,
                "username": author.username,
                "printed_name": author.printed_name,
            }
        }
    audit.record("document.version.drafted", version, actor=actor, detail=detail)
    return version


def _is_package(document: Document) -> bool:
    return document.doc_type == DocumentType.CONTENT_PACKAGE


def _check_author(author: Any, actor: Any, document: Document) -> Any:
    """The author of a draft: the actor, or the person an integration drafts for."""
    if author is None or author.pk == actor.pk:
        return actor
    author.refresh_from_db()  # active and roles as stored now
    if not author.is_active or getattr(author, "is_service_account", False):
        raise ValidationError(
            {"author": f"{author.username} is not an active person's account: it cannot author."}
        )
    if not author.has_perm("documents.manage_documents"):
        raise ValidationError(
            {"author": f"{author.username} is not a document controller: it cannot author."}
        )
    if not may_access_client(author, document.client_id):
        raise ValidationError(
            {"author": f"{author.username} may not author documents of this client."}
        )
    return author


@transaction.atomic
def version_update_draft(
    *, actor: Any, version: DocumentVersion, reason: str, **fields: Any
) -> DocumentVersion:
    """Change a draft's revision label, summary, content, file or training impact.
    `file=None` removes the file."""
    _require_manage(actor)
    unknown = set(fields) - DRAFT_FIELDS
    if unknown:
        raise ValidationError(
            f"These fields cannot be changed on a draft: {', '.join(sorted(unknown))}."
        )
    reason = require_reason(reason)
    document = _lock_document(version.document)
    check_client(actor, document.client_id)
    version = _fresh_version(version, lock=True)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            f"Revision {version.revision} is {version.get_status_display().lower()}; "
            "only a draft can be changed."
        )
    before = audit.state_of(version)
    if "revision" in fields:
        revision = (fields.pop("revision") or "").strip()
        if document.versions.filter(revision=revision).exclude(pk=version.pk).exists():
            raise ValidationError(
                {"revision": f"{document.number} already has a revision {revision!r}."}
            )
        version.revision = revision
    if "file" in fields:
        file = fields.pop("file")
        if file is None:
            version.file = None
            version.file_sha256 = ""
        else:
            named, checked = checked_file(file, package=_is_package(document))
            version.file_sha256 = checked.sha256
            version.file = named
    for name, value in fields.items():
        setattr(version, name, value.strip() if isinstance(value, str) else value)
    _check_has_baseline(document, version.retraining_required)
    version.full_clean()
    version.save()
    if before["file"] != (version.file.name or ""):
        events.version_file_stored.fire(actor=actor, version=version)
    audit.record("document.version.updated", version, actor=actor, before=before, reason=reason)
    return version


# --- review and approval ------------------------------------------------------


def _check_submittable(version: DocumentVersion, actor: Any) -> None:
    _refuse_if_obsolete(version.document)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            f"Revision {version.revision} is {version.get_status_display().lower()}; "
            "only a draft can be submitted for review."
        )
    if version.author_id != actor.pk:
        raise PermissionDenied("Only the author of a version can submit it for review.")
    if not version.file and not version.content_text.strip():
        raise ValidationError(
            {"file": "The version has no content: attach a file or enter its text."}
        )


def version_submit(
    *, actor: Any, version: DocumentVersion, credentials: Credentials
) -> DocumentVersion:
    """The author signs "authored" and the draft goes to review."""
    _require_manage(actor)
    check_client(actor, version.document.client_id)
    _check_submittable(_fresh_version(version), actor)
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="authored")
    with transaction.atomic():
        _lock_document(version.document)
        version = _fresh_version(version, lock=True)
        _check_submittable(version, actor)
        before = audit.state_of(version)
        version.status = VersionStatus.IN_REVIEW
        version.submitted_at = timezone.now()
        version.full_clean()
        version.save()
        audit.record(
            "document.version.submitted",
            version,
            actor=actor,
            before=before,
            reason="Submitted for review, signed as author",
        )
        sign(proof=proof, obj=version, meaning="authored")
        events.version_submitted.fire(actor=actor, version=version)
    return version


def _check_reviewable(version: DocumentVersion, actor: Any) -> None:
    if version.status != VersionStatus.IN_REVIEW:
        raise ValidationError(
            f"Revision {version.revision} is {version.get_status_display().lower()}; "
            "only a version in review can be reviewed."
        )
    problem = version.signature_conflict(actor, "reviewed")
    if problem:
        raise ValidationError(problem)


def version_review(
    *, actor: Any, version: DocumentVersion, credentials: Credentials, comment: str = ""
) -> DocumentVersion:
    """A reviewer (never the author, S2) signs "reviewed"; the status stays in review."""
    require_perm(
        actor, "signatures.sign_reviewed", message="You are not permitted to review documents."
    )
    check_client(actor, version.document.client_id)
    _check_reviewable(_fresh_version(version), actor)
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="reviewed")
    with transaction.atomic():
        _lock_document(version.document)
        version = _fresh_version(version, lock=True)
        _check_reviewable(version, actor)
        before = audit.state_of(version)
        signature = sign(proof=proof, obj=version, meaning="reviewed", comment=comment)
        audit.record(
            "document.version.reviewed",
            version,
            actor=actor,
            before=before,
            reason=(comment or "").strip() or "Review signed",
            detail={"signature_id": signature.pk},
        )
        events.version_reviewed.fire(actor=actor, version=version, signature=signature)
    return version


@transaction.atomic
def version_withdraw(*, actor: Any, version: DocumentVersion, reason: str) -> DocumentVersion:
    """Abandon a draft or a version in review; it stays on record as withdrawn."""
    _require_manage(actor)
    reason = require_reason(reason)
    _lock_document(version.document)
    version = _fresh_version(version, lock=True)
    check_client(actor, version.document.client_id)
    if version.status not in OPEN_STATUSES:
        raise ValidationError(
            f"Revision {version.revision} is {version.get_status_display().lower()}; only a "
            "draft or a version in review can be withdrawn."
        )
    before = audit.state_of(version)
    version.status = VersionStatus.WITHDRAWN
    version.full_clean()
    version.save()
    audit.record("document.version.withdrawn", version, actor=actor, before=before, reason=reason)
    return version
