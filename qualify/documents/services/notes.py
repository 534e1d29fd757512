"""L3: document control's "what changed and why" per section of a version, shown
beside that section in delta training. A note does not change the version's signed
content, so it may be added after approval (when training shows what people find
hard to follow); it can be replaced by a new text, audited with a reason."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.audit.registry import register_actions
from qualify.documents.models import DocumentVersion, SectionNote, VersionStatus
from qualify.documents.services._checks import _require_manage
from qualify.org.scoping import check_client

register_actions(
    {
        "document.section_note.added": "Section change note added",
        "document.section_note.changed": "Section change note changed",
    }
)

MAX_NOTE = 2000


@transaction.atomic
def section_note_set(
    *, actor: Any, version: DocumentVersion, section: str, note: str, reason: str = ""
) -> SectionNote:
    """Add the note of a section, or replace it (a reason is then required)."""
    _require_manage(actor)
    version = DocumentVersion.objects.select_related("document").get(pk=version.pk)
    check_client(actor, version.document.client_id)
    if version.status == VersionStatus.WITHDRAWN:
        raise ValidationError({"version": f"{version} was withdrawn; it takes no notes."})
    section, note = (section or "").strip(), (note or "").strip()
    if not section:
        raise ValidationError({"section": "Name the section (its heading in the text)."})
    if len(section) > 200:
        raise ValidationError({"section": "A section heading is at most 200 characters."})
    if not note:
        raise ValidationError({"note": "Say what changed in this section and why."})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"A note is at most {MAX_NOTE} characters."})
    existing = SectionNote.objects.select_for_update().filter(version=version, section=section)
    found = existing.first()
    if found is None:
        created = SectionNote.objects.create(
            version=version, section=section, note=note, author=actor, created_at=timezone.now()
        )
        audit.record("document.section_note.added", created, actor=actor)
        return created
    before = audit.state_of(found)
    found.note = note
    found.author = actor
    found.save(update_fields=["note", "author"])
    audit.record("document.section_note.changed", found, actor=actor, before=before, reason=reason)
    return found
