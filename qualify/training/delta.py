"""L3 delta training: what changed since the version the person was last trained on.

The baseline of the comparison is the person's own history, not the previous
version: the document version of their latest live (not corrected) record of the
requirement that is earlier than the version to read. Someone who skipped rev 3
(on leave) sees rev 2 → rev 4. No earlier record: no delta, the full document only.
"""

from dataclasses import dataclass

from django.utils import timezone

from qualify.documents import timeline
from qualify.documents.models import DocumentVersion
from qualify.documents.redline import Redline, compare
from qualify.org.models import Person
from qualify.training.models import Assignment, Requirement, TrainingRecord


@dataclass
class Delta:
    since: DocumentVersion  # the version the person was last trained on
    version: DocumentVersion  # the version to read and sign
    redline: Redline


def last_trained_version(
    person: Person, requirement: Requirement, before: DocumentVersion
) -> DocumentVersion | None:
    record = (
        TrainingRecord.objects.filter(
            person=person,
            requirement=requirement,
            superseded_by__isnull=True,
            document_version__document_id=before.document_id,
            document_version__sequence__lt=before.sequence,
        )
        .select_related("document_version__document")
        .order_by("-document_version__sequence", "-completed_at")
        .first()
    )
    return record.document_version if record is not None else None


def delta_for(
    person: Person, requirement: Requirement, version: DocumentVersion | None
) -> Delta | None:
    """The redline P should see before signing `version` of R's document, or None."""
    if version is None or requirement.document_id is None:
        return None
    since = last_trained_version(person, requirement, version)
    if since is None:
        return None
    notes = dict(version.section_notes.values_list("section", "note"))
    return Delta(since=since, version=version, redline=compare(since, version, notes))


def shown_since(delta: Delta | None) -> DocumentVersion | None:
    """The baseline a redline shown before signing started from, which the record
    notes (`delta_from`); None when there is no delta or it could not be drawn (the
    whole document was shown). The page and the API both record this answer."""
    return delta.since if delta is not None and delta.redline.readable else None


def delta_from_for(assignment: Assignment) -> DocumentVersion | None:
    """`shown_since` for signing `assignment` now, computed on the server."""
    return shown_since(delta_for(assignment.person, assignment.requirement, version_of(assignment)))


def version_of(assignment: Assignment) -> DocumentVersion | None:
    """The version signing the assignment binds to now: the one it names, else the
    version of the requirement's document in force now (as the service binds it)."""
    if assignment.document_version is not None:
        return assignment.document_version
    document = assignment.requirement.document
    if document is None:
        return None
    return timeline.effective_version(
        list(document.versions.select_related("document")),
        at=timezone.now(),
        obsolete_from=document.obsolete_from,
        obsolete_recorded_at=document.obsolete_recorded_at,
    )
