"""Documents themselves: create one (with its first version), change its descriptive
fields."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents import numbering
from qualify.documents.models import Document, DocumentType, DocumentVersion
from qualify.documents.services._checks import (
    DOCUMENT_FIELDS,
    _lock_document,
    _refuse_if_obsolete,
    _require_manage,
)
from qualify.documents.services.versions import version_draft
from qualify.documents.uploads import TEXT, check_upload
from qualify.guards import require_reason
from qualify.org.models import Client, Site
from qualify.org.scoping import check_client, may_access_client

# --- documents ----------------------------------------------------------------


def _check_number(number: str, doc_type: str, actor: Any, *, exclude_pk: int | None = None) -> str:
    """The number typed, or the next of the type's scheme when none is typed; refused
    when any document, obsolete ones included, already uses it in any case."""
    number = (number or "").strip()
    if not number:
        number = numbering.next_number(doc_type) or ""
        if not number:
            raise ValidationError(
                {"number": "This document type has no numbering scheme: type the number."}
            )
    problem = numbering.unfit_for_address(number)
    if problem:
        raise ValidationError({"number": problem})
    existing = numbering.taken_by(number, exclude_pk=exclude_pk)
    if existing is not None:
        visible = may_access_client(actor, existing.client_id)
        if visible and existing.obsolete_from is not None:
            message = (
                f"{existing.number} is already used by an obsolete document; a number is "
                "never given to a second document. Choose another number."
            )
        else:
            message = (
                f"{existing.number} is already used by another document (numbers are "
                "compared without case). Choose another number."
            )
        raise ValidationError({"number": message})
    return number


@transaction.atomic
def document_create(
    *,
    actor: Any,
    number: str = "",
    title: str,
    doc_type: str,
    owner: Any,
    frameworks: Any = (),
    site: Site | None = None,
    client: Client | None = None,
    review_interval_months: int | None = None,
) -> Document:
    """A new controlled document. An empty number draws the next one of the type's
    numbering scheme (qualify.documents.numbering)."""
    _require_manage(actor)
    check_client(actor, client.pk if client else None)
    if owner is None or not owner.is_active:
        raise ValidationError({"owner": "Choose an active user as the document's owner."})
    if doc_type not in DocumentType.values:
        raise ValidationError({"doc_type": "Choose one of the document types."})
    number = _check_number(number, doc_type, actor)
    document = Document(
        number=number,
        title=(title or "").strip(),
        doc_type=doc_type,
        owner=owner,
        site=site,
        client=client,
        review_interval_months=review_interval_months,
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
def document_introduce(
    *,
    actor: Any,
    revision: str,
    change_summary: str = "",
    file: Any = None,
    content_text: str = "",
    **document_fields: Any,
) -> tuple[Document, DocumentVersion]:
    """A new document with its first version as a draft, all or nothing: the draft then
    goes through submission, review and approval like any revision. A plain-text or
    Markdown file with no text typed is also shown as text on the reading page."""
    if file is None and not (content_text or "").strip():
        raise ValidationError(
            {"file": "Attach the first version's file or type its text; a document needs content."}
        )
    if file is not None and not (content_text or "").strip():
        checked = check_upload(file)
        if checked.content_type == TEXT:
            file.seek(0)
            raw = file.read()
            file.seek(0)
            content_text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    document = document_create(actor=actor, **document_fields)
    version = version_draft(
        actor=actor,
        document=document,
        revision=revision,
        change_summary=(change_summary or "").strip() or "First issue.",
        retraining_required=True,
        file=file,
        content_text=content_text,
    )
    return document, version


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
