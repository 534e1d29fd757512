import pytest

from tests.assessments.support import approved_bank, elearning, read
from tests.quality.plant import Plant


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa):
    return Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)


@pytest.fixture
def bank(plant):
    document, _version = approved_bank(plant)
    return document


@pytest.fixture
def course(plant, bank):
    """(requirement, assessment): 2 + 2 questions, pass mark 75, no limits."""
    return elearning(plant, bank)


@pytest.fixture
def operator(plant, course):
    requirement, _ = course
    plant.matrix(requirement)
    person = plant.person("Olivia Operator", job_function=plant.operators)
    read(plant, person, requirement)
    return person
