"""Every quality record's training picture: who must train, on which version, status,
evidence (issue 4, item 6)."""

from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from qualify.audit.registry import object_type_of
from qualify.quality.models import Capa, CapaActionTarget, ChangeControl, Deviation
from qualify.signatures.models import Signature
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    TrainingRecord,
)


def assignments_caused_by(obj: Any) -> QuerySet[Assignment]:
    """The assignments a change control, CAPA or deviation made (G5), and for a change
    control those G3 made for the revisions linked to it."""
    if isinstance(obj, ChangeControl):
        versions = obj.revisions.values_list("version_id", flat=True)
        return Assignment.objects.filter(
            Q(source=obj.source_key)
            | Q(reason=AssignmentReason.REVISION, document_version_id__in=list(versions))
        )
    if isinstance(obj, Capa):
        actions = list(obj.actions.all())
        keys = [a.source_key for a in actions]
        targets = CapaActionTarget.objects.filter(action__in=actions)
        linked = set(targets.values_list("assignment_id", flat=True))
        linked |= set(
            targets.exclude(proof_assignment=None).values_list("proof_assignment_id", flat=True)
        )
        return Assignment.objects.filter(Q(source__in=keys) | Q(pk__in=linked))
    if isinstance(obj, Deviation):
        return Assignment.objects.filter(source=obj.source_key)
    raise TypeError(f"{type(obj).__name__} is not a quality record")


def _signatures_by_record(records) -> dict[str, list[Signature]]:
    """Every signature of these training records in one query (issue 18: not one per
    row of the picture)."""
    found: dict[str, list[Signature]] = defaultdict(list)
    ids = [str(r.pk) for r in records]
    if not ids:
        return found
    rows = Signature.objects.filter(
        object_type=object_type_of(TrainingRecord), object_id__in=ids
    ).order_by("signed_at", "pk")
    for signature in rows:
        found[signature.object_id].append(signature)
    return found


def _evidence(record, signatures: dict[str, list[Signature]]) -> dict | None:
    if record is None:
        return None
    return {
        "record": record.pk,
        "method": record.get_method_display(),
        "completed_at": record.completed_at,
        "recorded_at": record.recorded_at,
        "evidence": record.get_evidence_display(),
        "score": record.score,
        "pass_mark": record.pass_mark,
        "trainer": record.trainer.full_name if record.trainer_id else None,
        "signatures": [s.manifestation for s in signatures.get(str(record.pk), [])],
    }


def training_picture(obj: Any) -> list[dict]:
    at = timezone.now()
    rows = []
    assignments = assignments_caused_by(obj).select_related(
        "person", "requirement", "document_version__document", "record__trainer"
    )
    assignments = list(assignments.order_by("person__full_name", "requirement__code", "pk"))
    signatures = _signatures_by_record(a.record for a in assignments if a.record_id)
    for a in assignments:
        rows.append(
            {
                "assignment": a.pk,
                "person": a.person.full_name,
                "employee_number": a.person.employee_number,
                "requirement": a.requirement.code,
                "version": str(a.document_version) if a.document_version_id else None,
                "status": a.get_status_display(),
                "overdue": a.status == AssignmentStatus.OPEN and a.due_at < at,
                "due_at": a.due_at,
                "closed_at": a.closed_at,
                "cancel_reason": a.cancel_reason,
                "evidence": _evidence(a.record, signatures),
            }
        )
    return rows
