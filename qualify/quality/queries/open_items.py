"""E2: what stands between a quality record and its closure, as sentences."""

from django.utils import timezone

from qualify.documents.models import VersionStatus
from qualify.quality.models import (
    Capa,
    CapaStatus,
    ChangeControl,
    ChangeControlStatus,
    Deviation,
)
from qualify.quality.queries.capa_state import action_open_items, current
from qualify.quality.queries.picture import assignments_caused_by
from qualify.training.models import Assignment, AssignmentStatus


def _unresolved(assignments) -> list[Assignment]:
    """Completed, cancelled with a reason, or superseded by a later revision (G3) is
    resolved; open, cancelled without a reason, or handed to a successor that is
    still open (an individual assignment superseding it) is not."""
    out: dict[int, Assignment] = {}
    for a in assignments.exclude(status=AssignmentStatus.COMPLETED).order_by("pk"):
        a = current(a)
        if a.status == AssignmentStatus.OPEN or (
            a.status == AssignmentStatus.CANCELLED and not a.cancel_reason.strip()
        ):
            out[a.pk] = a
    return list(out.values())


def _assignment_items(assignments) -> list[str]:
    items = []
    rows = Assignment.objects.filter(pk__in=[a.pk for a in _unresolved(assignments)])
    rows = rows.select_related("person", "requirement", "document_version__document")
    for a in rows.order_by("person__full_name", "pk"):
        what = a.requirement.code
        if a.document_version_id:
            what += f" (rev {a.document_version.revision})"
        who = f"{a.person.full_name} ({a.person.employee_number})"
        if a.status == AssignmentStatus.OPEN:
            items.append(f"{who}: training {what} is open, due {a.due_at:%Y-%m-%d}")
        else:
            items.append(f"{who}: training {what} was cancelled without a reason")
    return items


def change_control_open_items(cc: ChangeControl, *, at=None) -> list[str]:
    at = at or timezone.now()
    items = []
    if cc.status == ChangeControlStatus.DRAFT:
        items.append(f"{cc.number} is not approved")
    for link in cc.revisions.select_related("version__document"):
        v = link.version
        if v.status != VersionStatus.APPROVED or v.effective_from is None:
            items.append(f"{v} is not approved ({v.get_status_display().lower()})")
        elif v.effective_from > at:
            items.append(f"{v} is not effective yet (effective from {v.effective_from:%Y-%m-%d})")
    items += _assignment_items(assignments_caused_by(cc))
    return items


def capa_open_items(capa: Capa) -> list[str]:
    items = []
    actions = list(capa.actions.select_related("owner").order_by("pk"))
    if not actions:
        items.append("No action has been recorded")
    for action in actions:
        items += action_open_items(action)
    if capa.qa_review_required and capa.qa_reviewed_at is None:
        items.append(
            "Retraining is the only action: QA must review whether it is an effective correction"
        )
    return items


def deviation_open_items(deviation: Deviation) -> list[str]:
    """E2: the training it caused, and the CAPAs raised from it, until closed."""
    items = _assignment_items(assignments_caused_by(deviation))
    for capa in deviation.capas.exclude(status=CapaStatus.CLOSED).order_by("number"):
        items.append(f"{capa.number} raised from {deviation.number} is not closed")
    return items
