"""E-learning through the API, end to end (P37): the version read in the viewer opens its
assessment; the signed, passed attempt completes the assignment with a record bound to
that version, and the engine answers qualified."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from qualify.training import engine
from qualify.training.models import AssignmentStatus
from tests.assessments.support import approved_bank, elearning, right_answers
from tests.personas import PASSWORD
from tests.quality.plant import Plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa):
    return Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)


@pytest.mark.requirement("P37", "L1", "G7", "Q4")
def test_elearning_is_read_then_assessed_then_signed_through_the_api(plant):
    from qualify.assessments.models import Attempt

    bank, _ = approved_bank(plant)
    requirement, assessment = elearning(plant, bank)
    plant.matrix(requirement)
    person = plant.person("Olivia Operator", job_function=plant.operators)
    assignment = plant.open_assignment(person, requirement)
    api = APIClient()
    api.force_login(person.user)

    early = api.post(f"/api/v1/assessments/{assessment.pk}/attempts/")
    assert early.status_code == 400
    assert "in the viewer first" in early.json()["detail"]
    assert not Attempt.objects.exists()

    read = api.post(f"/api/v1/assignments/{assignment.pk}/read/")
    assert read.status_code == 201, read.content
    assert read.json()["assessment_opens"] is True

    started = api.post(f"/api/v1/assessments/{assessment.pk}/attempts/")
    assert started.status_code == 201, started.content
    attempt = Attempt.objects.get(pk=started.json()["id"])
    submitted = api.post(
        f"/api/v1/assessments/attempts/{attempt.pk}/submit/",
        {"answers": right_answers(attempt)},
        format="json",
    )
    assert submitted.status_code == 200, submitted.content
    signed = api.post(
        f"/api/v1/assessments/attempts/{attempt.pk}/sign/", {"password": PASSWORD}, format="json"
    )
    assert signed.status_code == 201, signed.content
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    version = requirement.document.versions.get(revision="1")
    assert assignment.record.document_version == version
    assert engine.is_qualified(person, requirement, at=timezone.now())


@pytest.mark.requirement("P37")
def test_reading_someone_elses_assignment_is_not_found(plant):
    bank, _ = approved_bank(plant)
    requirement, _ = elearning(plant, bank)
    plant.matrix(requirement)
    ann = plant.person("Ann", job_function=plant.operators)
    ben = plant.person("Ben", job_function=plant.operators)
    api = APIClient()
    api.force_login(ben.user)
    answer = api.post(f"/api/v1/assignments/{plant.open_assignment(ann, requirement).pk}/read/")
    assert answer.status_code == 404
