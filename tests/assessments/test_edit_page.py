"""P33: the training coordinator changes an existing assessment definition on a page
(draw per topic, limits, in use), with a reason, audited; bad input is refused with
the reason and changes nothing. Also the grace setting (QUALIFY_ASSESSMENT_GRACE_SECONDS)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from qualify.assessments import services
from qualify.assessments.models import Assessment, AttemptStatus
from qualify.audit.models import AuditEvent
from tests.assessments.support import assign_and_read, elearning, right_answers, wrong_answers

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P33")]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _post(client, assessment, **overrides):
    data = {
        "per_topic": "Gowning: 3\nCleaning: 1",
        "attempt_limit": "2",
        "time_limit_minutes": "20",
        "cooldown_minutes": "10",
        "active": "on",
        "reason": "Gowning deviations: draw more on gowning",
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(reverse("web:assessment_edit", args=[assessment.pk]), data)


def test_the_coordinator_changes_an_assessment_on_the_page(plant, course):
    """The page shows the definition as it is; saving it changes the draw and the
    limits, and the change is audited with its reason and the values before."""
    _, assessment = course
    client = _client(plant.coordinator)
    page = client.get(reverse("web:assessment_edit", args=[assessment.pk])).content.decode()
    assert "Gowning: 2" in page
    assert "Cleaning: 2" in page
    listing = client.get(reverse("web:assessment_definitions")).content.decode()
    assert reverse("web:assessment_edit", args=[assessment.pk]) in listing

    response = _post(client, assessment)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.per_topic == {"Gowning": 3, "Cleaning": 1}
    assert (assessment.attempt_limit, assessment.time_limit_minutes) == (2, 20)
    assert assessment.cooldown_minutes == 10
    assert assessment.active
    (event,) = AuditEvent.objects.filter(action="assessment.updated", object_id=str(assessment.pk))
    assert event.data["reason"] == "Gowning deviations: draw more on gowning"


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"reason": ""}, "required"),
        ({"per_topic": "Gowning three"}, "Write &#x27;Topic: number&#x27;"),
        ({"per_topic": "Gowning: 9"}, "Gowning"),
        ({"per_topic": "Hygiene: 1"}, "Hygiene"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_changes_nothing(plant, course, overrides, says):
    _, assessment = course
    before = Assessment.objects.values().get(pk=assessment.pk)
    response = _post(_client(plant.coordinator), assessment, **overrides)
    assert response.status_code == 422
    assert says in response.content.decode()
    assert Assessment.objects.values().get(pk=assessment.pk) == before
    assert not AuditEvent.objects.filter(action="assessment.updated").exists()


def test_only_the_coordinator_changes_assessments(plant, course, employee):
    _, assessment = course
    before = Assessment.objects.values().get(pk=assessment.pk)
    assert _post(_client(employee), assessment).status_code == 403
    assert Assessment.objects.values().get(pk=assessment.pk) == before


@pytest.mark.requirement("L1")
def test_the_grace_after_the_time_limit_is_the_setting(plant, bank, operator, settings):
    """QUALIFY_ASSESSMENT_GRACE_SECONDS: answers arriving within it after the time
    limit are scored; with no grace answers as late are refused and the attempt expires."""
    requirement, assessment = elearning(plant, bank, code="EL-TIMED", time_limit_minutes=5)
    assign_and_read(plant, operator, requirement)
    user = operator.user
    settings.QUALIFY_ASSESSMENT_GRACE_SECONDS = 30
    attempt = services.attempt_start(actor=user, assessment=assessment)
    with time_machine.travel(attempt.deadline + dt.timedelta(seconds=20), tick=False):
        done = services.attempt_submit(actor=user, attempt=attempt, answers=wrong_answers(attempt))
    assert done.status == AttemptStatus.FAILED  # scored, not expired
    assert done.items.exclude(response=None).exists()

    settings.QUALIFY_ASSESSMENT_GRACE_SECONDS = 0
    second = services.attempt_start(actor=user, assessment=assessment)
    with (
        time_machine.travel(second.deadline + dt.timedelta(seconds=20), tick=False),
        pytest.raises(ValidationError, match="time limit"),
    ):
        services.attempt_submit(actor=user, attempt=second, answers=right_answers(second))
    second.refresh_from_db()
    assert second.status == AttemptStatus.EXPIRED
