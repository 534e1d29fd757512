"""Documents themselves: create one, change its descriptive fields."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents.models import Document
from qualify.documents.services._checks import (
    DOCUMENT_FIELDS,
    _lock_document,
    _refuse_if_obsolete,
    _require_manage,
)
from qualify.guards import require_reason
from qualify.org.models import Client, Site
from qualify.org.scoping import check_client

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
