"""Document lifecycle services: draft → in review → approved (effective and
superseded follow from the dates, Q1), withdrawn, and obsolete.

Signing services check the credentials with `authenticate_signer()` *before* their
transaction, so a refused attempt's audit event and lockout count are committed
even though the change is not; the signature itself is applied inside the
transaction of the change it signs. The cheap checks run once before asking for the
signature (so bad input costs no signing attempt) and again on the locked rows.

Every service that changes a document's versions locks the document row first, so
two concurrent approvals cannot both pass the Q1 interval check (on SQLite the
IMMEDIATE transactions already serialise writers).
"""

import datetime as dt
import hashlib
import os
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents import events, timeline
from qualify.documents.models import Document, DocumentVersion, VersionStatus
from qualify.guards import require_aware, require_perm, require_reason
from qualify.org.models import Client, Site
from qualify.org.scoping import check_client, may_access_client
from qualify.signatures.services import (
    Credentials,
    authenticate_signer,
    content_hash,
    sign,
    signatures_of,
)

OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
DRAFT_FIELDS = {
    "revision",
    "change_summary",
    "retraining_required",
    "editorial_justification",
    "content_text",
    "file",
}
DOCUMENT_FIELDS = {"title", "doc_type", "owner", "site", "client", "frameworks"}


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
                    "written justification (Q2)."
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
                    "this version cannot be editorial: people have nothing to keep (Q2)."
                )
            }
        )


def _file_named(file: Any) -> File:
    name = os.path.basename(getattr(file, "name", "") or "")
    if not name:
        raise ValidationError({"file": "The file has no name."})
    if isinstance(file, File):
        if file.name == name:
            return file
        file = file.file
    return File(file, name=name)


def _sha256_of(file: File) -> str:
    digest = hashlib.sha256()
    for chunk in file.chunks():  # chunks() starts from the beginning
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _valid_reviews(version: DocumentVersion) -> list:
    current = content_hash(version)
    return [
        s for s in signatures_of(version).filter(meaning="reviewed") if s.content_hash == current
    ]


# --- documents ----------------------------------------------------------------


@transaction.atomic
def document_create(
    *,
    actor: Any,
    number: str,
    title: str,
    doc_type: str,
    owner: Any,
    frameworks: Any = (),
    site: Site | None = None,
    client: Client | None = None,
) -> Document:
    _require_manage(actor)
    check_client(actor, client.pk if client else None)
    document = Document(
        number=(number or "").strip(),
        title=(title or "").strip(),
        doc_type=doc_type,
        owner=owner,
        site=site,
        client=client,
        created_at=timezone.now(),
    )
    document.full_clean()
    document.save()
    document.frameworks.set(frameworks)
    audit.record(
        "document.created",
        document,
        actor=actor,
        detail={"frameworks": sorted(f.code for f in document.frameworks.all())},
    )
    return document


@transaction.atomic
def document_update(*, actor: Any, document: Document, reason: str, **fields: Any) -> Document:
    """Change a document's descriptive fields (title, owner, site, client, frameworks)."""
    _require_manage(actor)
    unknown = set(fields) - DOCUMENT_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    reason = require_reason(reason)
    document = _lock_document(document)
    check_client(actor, document.client_id)
    if "client" in fields:
        check_client(actor, fields["client"].pk if fields["client"] else None)
    _refuse_if_obsolete(document)
    before = audit.state_of(document)
    old_frameworks = sorted(f.code for f in document.frameworks.all())
    frameworks = fields.pop("frameworks", None)
    for name, value in fields.items():
        setattr(document, name, value.strip() if isinstance(value, str) else value)
    document.full_clean()
    document.save()
    detail = {}
    if frameworks is not None:
        document.frameworks.set(frameworks)
        new_frameworks = sorted(f.code for f in document.frameworks.all())
        if new_frameworks != old_frameworks:
            detail["frameworks"] = [old_frameworks, new_frameworks]
    audit.record(
        "document.updated", document, actor=actor, before=before, reason=reason, detail=detail
    )
    return document


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
        named = _file_named(file)
        version.file_sha256 = _sha256_of(named)
        version.file = named
    version.full_clean()
    version.save()  # stores the file
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
            {"author": f"{author.username} may not author documents of this client (U2)."}
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
            named = _file_named(file)
            version.file_sha256 = _sha256_of(named)
            version.file = named
    for name, value in fields.items():
        setattr(version, name, value.strip() if isinstance(value, str) else value)
    _check_has_baseline(document, version.retraining_required)
    version.full_clean()
    version.save()
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
    return version


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
    _refuse_if_obsolete(document)
    if version.status != VersionStatus.IN_REVIEW:
        raise ValidationError(
            f"Revision {version.revision} is {version.get_status_display().lower()}; "
            "only a version in review can be approved."
        )
    if version.author_id == actor.pk:
        raise ValidationError("The author of a version cannot approve it (S2).")
    if not _valid_reviews(version):
        raise ValidationError(
            f"Revision {version.revision} has no valid review signature; it must be "
            "reviewed before approval."
        )
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
                    "after it, or the effective periods would overlap (Q1)."
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
    _check_approvable(
        _fresh_version(version),
        actor,
        effective_from=effective_from,
        reason=reason,
        now=timezone.now(),
    )
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
