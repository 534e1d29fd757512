"""Changing an assessment definition through the REST API (P73): the draw per topic,
the limits, the cool-down and the pass mark go through assessment_update, the service
the page uses, with a reason on the audit trail; what it refuses is a 400 with the
reason in words and changes nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from qualify.assessments.models import Assessment
from qualify.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P73", "P33")]


@pytest.fixture(autouse=True)
def _api_urls(settings):
    # The API alone: these tests do not depend on the pages being importable.
    settings.ROOT_URLCONF = "tests.api.urls"


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def updates(assessment):
    return AuditEvent.objects.filter(action="assessment.updated", object_id=str(assessment.pk))


def test_the_coordinator_changes_an_assessment_through_the_api(plant, course):
    _, assessment = course
    client = api(plant.coordinator)
    url = reverse("api:assessment", args=[assessment.pk])
    shown = client.get(url).json()
    assert shown["per_topic"] == {"Gowning": 2, "Cleaning": 2}
    changed = client.patch(
        url,
        {
            "per_topic": {"Gowning": 3, "Cleaning": 1},
            "pass_mark": "75",
            "attempt_limit": 2,
            "time_limit_minutes": 20,
            "cooldown_minutes": 10,
            "reason": "Gowning deviations: draw more on gowning",
        },
        format="json",
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["per_topic"] == {"Gowning": 3, "Cleaning": 1}
    assert (body["attempt_limit"], body["time_limit_minutes"], body["cooldown_minutes"]) == (
        2,
        20,
        10,
    )
    assessment.refresh_from_db()
    assert assessment.per_topic == {"Gowning": 3, "Cleaning": 1}
    assert (assessment.attempt_limit, assessment.time_limit_minutes) == (2, 20)
    assert assessment.cooldown_minutes == 10
    (event,) = updates(assessment)
    assert event.data["reason"] == "Gowning deviations: draw more on gowning"

    # A field left out is not changed; null clears a limit.
    cleared = client.patch(
        url, {"attempt_limit": None, "reason": "No limit after all"}, format="json"
    )
    assert cleared.status_code == 200
    assessment.refresh_from_db()
    assert assessment.attempt_limit is None
    assert assessment.time_limit_minutes == 20


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"pass_mark": "60"}, "judged against its pass mark of 75"),
        ({"per_topic": {"Gowning": 50}}, "Gowning"),
        ({"per_topic": {}}, "how many questions to draw"),
        ({"cooldown_minutes": -5}, "cool-down"),
        ({"attempt_limit": 0}, "at least 1"),
    ],
)
def test_what_the_service_refuses_is_a_400_with_the_reason_and_nothing_changes(
    plant, course, change, words
):
    _, assessment = course
    before = Assessment.objects.filter(pk=assessment.pk).values().get()
    refused = api(plant.coordinator).patch(
        reverse("api:assessment", args=[assessment.pk]),
        {**change, "reason": "Try it"},
        format="json",
    )
    assert refused.status_code == 400
    assert words in refused.content.decode()
    assert Assessment.objects.filter(pk=assessment.pk).values().get() == before
    assert not updates(assessment).exists()


def test_a_change_needs_a_reason_and_a_coordinator(plant, course, employee, qa):
    _, assessment = course
    url = reverse("api:assessment", args=[assessment.pk])
    no_reason = api(plant.coordinator).patch(url, {"cooldown_minutes": 5}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"] or "reason" in no_reason.content.decode()
    for user in (employee, qa):
        refused = api(user).patch(url, {"cooldown_minutes": 5, "reason": "x"}, format="json")
        assert refused.status_code == 403
    assert api(qa).get(url).status_code == 200  # QA reads definitions
    assessment.refresh_from_db()
    assert assessment.cooldown_minutes == 0
    assert not updates(assessment).exists()
