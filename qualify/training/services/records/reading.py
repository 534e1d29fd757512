"""Read and understood: the trainee signs for the document version."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.documents.models import DocumentVersion
from qualify.guards import AlreadyDone
from qualify.org.models import Person
from qualify.signatures.services import Credentials, authenticate_signer
from qualify.training.models import (
    Assignment,
    AssignmentStatus,
    Evidence,
    Method,
    Requirement,
    TrainingRecord,
)
from qualify.training.services.assignments import OPEN
from qualify.training.services.paths import check_prerequisites
from qualify.training.services.records._common import (
    READ,
    _check_evidence,
    _check_requirement,
    _open_assignment,
    _save,
    _trainee_user,
    _version_for,
)

# --- read and understood -----------------------------------------------------------------


def record_read_and_understood(
    *,
    actor: Any,
    credentials: Credentials,
    assignment: Assignment | None = None,
    person: Person | None = None,
    requirement: Requirement | None = None,
    delta_from: DocumentVersion | None = None,
) -> TrainingRecord:
    """The trainee signs that they read and understood the document (meaning
    read_and_understood). The record is bound to the version their open assignment
    names, else the version effective now. `delta_from`: the page showed the changes
    since that earlier version of the same document (L3); the record notes it, the
    signature covers the version read. L4: refused before a prerequisite is done."""
    if assignment is not None:
        assignment = Assignment.objects.select_related("person", "requirement").get(
            pk=assignment.pk
        )
        if assignment.status == AssignmentStatus.COMPLETED and assignment.record_id:
            raise AlreadyDone(
                "You already signed this assignment; nothing new was written.",
                existing=assignment.record,
            )
        if assignment.status != OPEN:
            state = assignment.get_status_display().lower()
            raise ValidationError({"assignment": f"This assignment is already {state}."})
        person, requirement = assignment.person, assignment.requirement
    if person is None or requirement is None:
        raise ValidationError("Name the assignment, or the person and the requirement.")
    user = _trainee_user(person)
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied("Only the trainee can sign that they read and understood.")
    _check_requirement(
        actor, requirement, {Method.READ_AND_UNDERSTAND}, "record it with its own method"
    )
    _check_evidence(requirement, Evidence.SIGNATURE)
    now = timezone.now()
    version = _version_for(requirement, assignment or _open_assignment(person, requirement), now)
    if delta_from is not None and (
        version is None
        or delta_from.document_id != version.document_id
        or delta_from.sequence >= version.sequence
    ):
        raise ValidationError(
            {"delta_from": "The changes shown must be against an earlier version of this document."}
        )
    check_prerequisites(actor=actor, person=person, requirement=requirement, at=now)
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=READ)
    with transaction.atomic():
        record = TrainingRecord(
            person=person,
            requirement=requirement,
            document_version=version,
            method=Method.READ_AND_UNDERSTAND,
            completed_at=now,
            recorded_at=now,
            evidence=Evidence.SIGNATURE,
            delta_from=delta_from,
            entered_by=actor,
        )
        return _save(record, actor=actor, proofs=[(proof, READ)], now=now)
