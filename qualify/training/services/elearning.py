"""E-learning (Q3): a document read in the viewer, then its assessment.

`elearning_read` notes that the person read the version their assignment names (or
the one in force) in the viewer; `reading_problem` is the precondition the assessment
services ask before an attempt starts (qualify.assessments calls it): an e-learning
requirement linked to a document opens its assessment only once that version was
read. The signed, passed attempt is then the training record (qualify.assessments),
bound to the same version and completing the assignment.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents.models import DocumentVersion
from qualify.org.models import Person
from qualify.training.models import (
    Assignment,
    AssignmentStatus,
    Method,
    Requirement,
    VersionReading,
)
from qualify.training.services.paths import check_prerequisites
from qualify.training.services.records._common import (
    _check_requirement,
    _open_assignment,
    _trainee_user,
    _version_for,
)


def elearning_version(person: Person, requirement: Requirement) -> DocumentVersion | None:
    """The version the person reads for this e-learning now: the one their open
    assignment names, else the one in force; None when the requirement has no document."""
    if requirement.document_id is None:
        return None
    return _version_for(requirement, _open_assignment(person, requirement), timezone.now())


def has_read(person: Person, version: DocumentVersion | None) -> bool:
    return (
        version is None
        or VersionReading.objects.filter(person=person, document_version=version).exists()
    )


def reading_problem(person: Person, requirement: Requirement) -> str:
    """ "" when the person may take the requirement's assessment now; otherwise why not."""
    if requirement.method != Method.ELEARNING or requirement.document_id is None:
        return ""
    try:
        version = elearning_version(person, requirement)
    except ValidationError as error:
        return " ".join(error.messages)
    if has_read(person, version):
        return ""
    return (
        f"Read {version.document.number} rev {version.revision} in the viewer first; "
        "its assessment opens after."
    )


def elearning_read(*, actor: Any, assignment: Assignment) -> VersionReading:
    """The trainee says they read the version in the viewer (idempotent: a second
    submission answers the first reading)."""
    assignment = Assignment.objects.select_related("person", "requirement__document").get(
        pk=assignment.pk
    )
    person, requirement = assignment.person, assignment.requirement
    user = _trainee_user(person)
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied("Only the trainee says they have read the document.")
    if assignment.status != AssignmentStatus.OPEN:
        raise ValidationError({"assignment": "This assignment is no longer open."})
    _check_requirement(actor, requirement, {Method.ELEARNING}, "it has no e-learning reading")
    if requirement.document_id is None:
        raise ValidationError({"requirement": f"{requirement.code} links no document to read."})
    version = _version_for(requirement, assignment, timezone.now())
    existing = VersionReading.objects.filter(person=person, document_version=version).first()
    if existing is None:
        # L4: a locked item cannot be started (refused and audited by the one check).
        check_prerequisites(actor=actor, person=person, requirement=requirement)
    existing = VersionReading.objects.filter(person=person, document_version=version).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            reading = VersionReading.objects.create(
                person=person,
                document_version=version,
                requirement=requirement,
                read_at=timezone.now(),
            )
            audit.record("training.elearning.read", reading, actor=actor)
    except IntegrityError:  # the same reading submitted twice at once
        return VersionReading.objects.get(person=person, document_version=version)
    return reading
