"""Training requirements (Q3, Q8) and curricula."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents.models import Document, DocumentType
from qualify.guards import require_perm
from qualify.org.models import Client
from qualify.org.scoping import check_client
from qualify.training.models import (
    TRAINER_METHODS,
    Curriculum,
    CurriculumItem,
    Evidence,
    Method,
    Requirement,
)
from qualify.training.services import rules


def _manage(actor: Any) -> None:
    require_perm(
        actor,
        "training.manage_requirements",
        message="Only a training coordinator can define training requirements and curricula.",
    )


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        # At the column's scale, so the audited state equals the stored row (A4).
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError({field: f"{value!r} is not a number."}) from None


@transaction.atomic
def requirement_create(
    *,
    actor: Any,
    code: str,
    title: str,
    method: str,
    document: Document | None = None,
    client: Client | None = None,
    recurrence_months: int | None = None,
    evidence_required: str | None = None,
    pass_mark: Any = None,
    trainer_requirement: Requirement | None = None,
    checklist: str = "",
    grace_days: int | None = 0,
) -> Requirement:
    """Q3: a unit that can be trained and recorded. Q8: `evidence_required` says what a
    record must show beyond the trainee's signature (on-the-job defaults to an observed
    demonstration). A document-linked requirement belongs to the document's client."""
    _manage(actor)
    errors: dict[str, str] = {}
    if method not in Method.values:
        raise ValidationError({"method": f"Unknown training method {method!r}."})
    if evidence_required is None:
        evidence_required = (
            Evidence.DEMONSTRATION if method == Method.ON_THE_JOB else Evidence.SIGNATURE
        )
    if document is not None:
        if client is not None and client.pk != document.client_id:
            errors["client"] = f"{document.number} belongs to another client; leave client empty."
        client = document.client
        if document.obsolete_from is not None and document.obsolete_from <= timezone.now():
            errors["document"] = f"{document.number} is obsolete."
    elif method == Method.READ_AND_UNDERSTAND:
        errors["document"] = "Read-and-understand training needs the document to be read."
    check_client(actor, client.pk if client else None)
    mark = _decimal(pass_mark, "pass_mark")
    # E-learning is assessed, unless it is an e-learning package (issue 15): the package
    # reports completion by its own rules (SCORM mastery score, cmi5 moveOn) and the
    # learner signs it; a pass mark may still be set to hold its score against.
    package = document is not None and document.doc_type == DocumentType.CONTENT_PACKAGE
    if method == Method.ELEARNING and evidence_required == Evidence.SIGNATURE and not package:
        evidence_required = Evidence.ASSESSMENT
    if evidence_required == Evidence.ASSESSMENT:
        if mark is None:
            errors["pass_mark"] = "An assessment needs a pass mark (0-100)."
        elif not Decimal(0) < mark <= Decimal(100):
            errors["pass_mark"] = "The pass mark is a percentage above 0 and at most 100."
    elif mark is not None:
        errors["pass_mark"] = "A pass mark applies only when an assessment is required."
    if evidence_required == Evidence.DEMONSTRATION and method not in TRAINER_METHODS:
        errors["evidence_required"] = (
            "An observed demonstration needs a trainer: use classroom or on-the-job."
        )
    if method in TRAINER_METHODS:
        if trainer_requirement is None:
            errors["trainer_requirement"] = (
                "Classroom and on-the-job training name the requirement a trainer must be "
                "qualified on."
            )
        elif not trainer_requirement.active:
            errors["trainer_requirement"] = f"{trainer_requirement} is no longer in use."
    elif trainer_requirement is not None:
        errors["trainer_requirement"] = "Only classroom and on-the-job training have trainers."
    if checklist and method != Method.ON_THE_JOB:
        errors["checklist"] = "Only on-the-job training has a practical checklist."
    if recurrence_months is not None and recurrence_months < 1:
        errors["recurrence_months"] = "Retraining recurs every 1 month or more."
    # Q10: grace after expiry while retraining is open; only meaningful when it recurs.
    grace_days = grace_days or 0
    if grace_days < 0 or grace_days > 365:
        errors["grace_days"] = "A grace period is 0 to 365 days."
    elif grace_days and not recurrence_months:
        errors["grace_days"] = "A grace period applies only to training that recurs."
    if errors:
        raise ValidationError(errors)
    requirement = Requirement(
        code=code.strip(),
        title=title.strip(),
        method=method,
        document=document,
        client=client,
        recurrence_months=recurrence_months,
        evidence_required=evidence_required,
        pass_mark=mark,
        trainer_requirement=trainer_requirement,
        checklist=checklist.strip(),
        grace_days=grace_days,
        created_at=timezone.now(),
    )
    requirement.full_clean()
    requirement.save()
    audit.record("training.requirement.created", requirement, actor=actor)
    return requirement


@transaction.atomic
def curriculum_create(*, actor: Any, code: str, title: str) -> Curriculum:
    _manage(actor)
    curriculum = Curriculum(code=code.strip(), title=title.strip(), created_at=timezone.now())
    curriculum.full_clean()
    curriculum.save()
    audit.record("training.curriculum.created", curriculum, actor=actor)
    return curriculum


def curriculum_item_add(
    *,
    actor: Any,
    curriculum: Curriculum,
    requirement: Requirement,
    position: int | None = None,
    prerequisite: Requirement | None = None,
) -> CurriculumItem:
    """Add a requirement to a curriculum, after the others unless a position is given.
    A prerequisite must be an earlier item of the same curriculum, and may not close a
    cycle across the curricula (L4; refused and audited before the transaction, so
    the refusal survives)."""
    _manage(actor)
    # A prerequisite that is not an item of this curriculum yet is refused inside
    # (it must be an earlier item); only a real one can close a cycle.
    if (
        prerequisite is not None
        and curriculum.items.filter(requirement=prerequisite).exists()
        and prerequisite.pk != requirement.pk
    ):
        from qualify.training.services.paths import check_cycle

        check_cycle(
            actor=actor, curriculum=curriculum, requirement=requirement, prerequisite=prerequisite
        )
    with transaction.atomic():
        return _curriculum_item_add(
            actor=actor,
            curriculum=curriculum,
            requirement=requirement,
            position=position,
            prerequisite=prerequisite,
        )


def _curriculum_item_add(*, actor, curriculum, requirement, position, prerequisite):
    check_client(actor, requirement.client_id)
    curriculum = Curriculum.objects.select_for_update().get(pk=curriculum.pk)
    items = {item.requirement_id: item for item in curriculum.items.all()}
    if not requirement.active:
        raise ValidationError({"requirement": f"{requirement} is no longer in use."})
    if requirement.pk in items:
        raise ValidationError(
            {"requirement": f"{requirement.code} is already in {curriculum.code}."}
        )
    if position is None:
        position = (curriculum.items.aggregate(m=Max("position"))["m"] or 0) + 1
    elif any(item.position == position for item in items.values()):
        raise ValidationError({"position": f"Position {position} is taken in {curriculum.code}."})
    if prerequisite is not None:
        before = items.get(prerequisite.pk)
        if before is None or before.position >= position:
            raise ValidationError(
                {
                    "prerequisite": f"{prerequisite.code} must be an earlier item of "
                    f"{curriculum.code}."
                }
            )
    item = CurriculumItem(
        curriculum=curriculum, requirement=requirement, position=position, prerequisite=prerequisite
    )
    item.full_clean()
    item.save()
    audit.record("training.curriculum.item_added", item, actor=actor)
    # Q5: the curriculum's job functions now require this too; G1 assigns it.
    now = timezone.now()
    for entry in curriculum.matrix_entries.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=now)):
        rules.assign_for_matrix_entry(actor=actor, entry=entry, requirements=[requirement])
    return item
