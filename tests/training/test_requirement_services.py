"""Requirements (Q3), evidence of understanding (Q8) and curricula."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.org import services as org
from qualify.training import services as training
from qualify.training.models import Evidence, Method, Requirement
from tests.training.support import events_of

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("Q3")
def test_read_requirement_is_linked_to_a_document_and_takes_its_client(plant, admin):
    acme = org.client_create(actor=admin, code="ACME", name="Acme Pharma")
    document = plant.document("SOP-014")
    from qualify.documents import services as documents

    documents.document_update(
        actor=plant.doc_controller, document=document, reason="Client SOP", client=acme
    )
    document.refresh_from_db()
    requirement = plant.requirement("SOP-014-RU", document=document, recurrence_months=12)
    assert requirement.client == acme
    assert requirement.recurrence_months == 12
    assert requirement.evidence_required == Evidence.SIGNATURE
    assert [e.action for e in events_of(requirement)] == ["training.requirement.created"]


@pytest.mark.requirement("Q3")
def test_read_requirement_without_document_is_refused(plant):
    with pytest.raises(ValidationError, match="document to be read"):
        plant.requirement("RU-NODOC")
    assert not Requirement.objects.filter(code="RU-NODOC").exists()


@pytest.mark.requirement("Q3")
def test_only_a_coordinator_defines_requirements(plant, employee):
    with pytest.raises(PermissionDenied):
        training.requirement_create(actor=employee, code="X", title="X", method=Method.EXTERNAL)


@pytest.mark.requirement("Q3", "Q8")
def test_assessment_needs_a_pass_mark(plant):
    with pytest.raises(ValidationError, match="pass mark"):
        plant.requirement("GMP-EL", method=Method.ELEARNING)
    requirement = plant.requirement("GMP-EL", method=Method.ELEARNING, pass_mark=80)
    assert requirement.evidence_required == Evidence.ASSESSMENT
    assert requirement.pass_mark == Decimal("80")


@pytest.mark.requirement("Q3", "Q8")
def test_classroom_and_on_the_job_name_the_trainer_qualification(plant):
    ttt = plant.requirement("TTT", method=Method.EXTERNAL)
    with pytest.raises(ValidationError, match="trainer must be"):
        plant.requirement("FILL-OJT", method=Method.ON_THE_JOB)
    ojt = plant.requirement(
        "FILL-OJT", method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Gown"
    )
    # An on-the-job qualification is an observed demonstration unless told otherwise.
    assert ojt.evidence_required == Evidence.DEMONSTRATION
    with pytest.raises(ValidationError, match="Only classroom and on-the-job"):
        plant.requirement("EXT2", method=Method.EXTERNAL, trainer_requirement=ttt)


@pytest.mark.requirement("Q8")
def test_demonstration_needs_a_trainer_method(plant):
    document = plant.document("SOP-020")
    with pytest.raises(ValidationError, match="demonstration needs a trainer"):
        plant.requirement("RU-DEMO", document=document, evidence_required=Evidence.DEMONSTRATION)


def test_curriculum_items_keep_order_and_prerequisites_must_come_first(plant):
    a = plant.requirement("A", method=Method.EXTERNAL)
    b = plant.requirement("B", method=Method.EXTERNAL)
    c = plant.requirement("C", method=Method.EXTERNAL)
    curriculum = training.curriculum_create(actor=plant.coordinator, code="NEW", title="Induction")
    first = training.curriculum_item_add(
        actor=plant.coordinator, curriculum=curriculum, requirement=a
    )
    second = training.curriculum_item_add(
        actor=plant.coordinator, curriculum=curriculum, requirement=b, prerequisite=a
    )
    assert (first.position, second.position) == (1, 2)
    with pytest.raises(ValidationError, match="earlier item"):
        training.curriculum_item_add(
            actor=plant.coordinator, curriculum=curriculum, requirement=c, prerequisite=c
        )
    with pytest.raises(ValidationError, match="already in"):
        training.curriculum_item_add(actor=plant.coordinator, curriculum=curriculum, requirement=a)
