"""The same operations through the API (P35, L1): start, submit, sign; refusals are
problem details with the reason in words."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from qualify.assessments.models import AttemptStatus
from qualify.training.models import AssignmentStatus
from tests.assessments.support import right_answers
from tests.personas import PASSWORD

pytestmark = pytest.mark.requirement("P35", "L1")


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_start_submit_and_sign_through_the_api(course, operator, plant):
    requirement, assessment = course
    api = _api(operator.user)
    started = api.post(reverse("api:assessment-attempt-start", args=[assessment.pk]))
    assert started.status_code == 201
    second = api.post(reverse("api:assessment-attempt-start", args=[assessment.pk]))
    assert second.status_code == 400
    assert "already have an attempt in progress" in second.json()["detail"]
    attempt = operator.assessment_attempts.get()
    submitted = api.post(
        reverse("api:assessment-attempt-submit", args=[attempt.pk]),
        {"answers": right_answers(attempt)},
        format="json",
    )
    assert submitted.json()["status"] == AttemptStatus.PASSED
    url = reverse("api:assessment-attempt-sign", args=[attempt.pk])
    wrong = api.post(url, {"password": "not it"}, format="json")
    assert wrong.status_code == 400
    signed = api.post(url, {"password": PASSWORD}, format="json")
    assert signed.status_code == 201, signed.content
    body = signed.json()
    assert body["score"] == "100.00"
    assert [s["meaning"] for s in body["signatures"]] == ["completed_assessment"]
    assignment = operator.assignments.get(requirement=requirement)
    assert assignment.status == AssignmentStatus.COMPLETED
    again = api.post(url, {"password": PASSWORD}, format="json")
    assert again.status_code == 409
    mine = api.get(reverse("api:my-attempts")).json()["results"]
    assert [row["id"] for row in mine] == [attempt.pk]


def test_an_answer_for_a_question_not_drawn_is_a_clear_400(course, operator):
    _, assessment = course
    api = _api(operator.user)
    api.post(reverse("api:assessment-attempt-start", args=[assessment.pk]))
    attempt = operator.assessment_attempts.get()
    response = api.post(
        reverse("api:assessment-attempt-submit", args=[attempt.pk]),
        {"answers": {"99": "1"}},
        format="json",
    )
    assert response.status_code == 400
    assert "did not draw" in response.json()["detail"]
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_the_coordinator_lists_assessments_and_an_operator_may_not(course, operator, coordinator):
    assert _api(coordinator).get(reverse("api:assessments")).status_code == 200
    assert _api(operator.user).get(reverse("api:assessments")).status_code == 403
