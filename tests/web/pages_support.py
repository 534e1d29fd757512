"""A small plant for the page tests of the employee, trainer, account and
administration areas, built through the real services (tests.training.support)."""

import pytest
from django.utils import timezone

from qualify.org import services as org
from qualify.training.models import Assignment, AssignmentStatus, Method
from tests.training.support import DAY, Plant


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa, trainer):
    return Plant(
        admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa, trainer=trainer
    )


@pytest.fixture
def reading(plant, employee):
    """The employee holds the operator job function, which requires reading SOP-014;
    rev 1 is in force and the assignment is open."""
    operator = plant.person("Olivia", user=employee, job_function=plant.operators)
    document = plant.document("SOP-014")
    requirement = plant.requirement("RU-SOP-014", document=document)
    plant.matrix(requirement)
    assignment = Assignment.objects.get(
        person=operator, requirement=requirement, status=AssignmentStatus.OPEN
    )
    return operator, document, requirement, assignment


def client_requirement(plant, code="NVX-RU"):
    """A requirement owned by a client, for 404 checks."""
    client = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    requirement = plant.requirement(code, method=Method.EXTERNAL, client=client)
    return client, requirement


def classroom(plant, trainer_requirement):
    return plant.requirement(
        "GMP-BASICS", method=Method.CLASSROOM, trainer_requirement=trainer_requirement
    )


def yesterday():
    return timezone.now() - DAY
