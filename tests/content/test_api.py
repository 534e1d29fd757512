"""P77: packages and attempts through the REST API, read-only, for integration
engineers: the packages with their version and standard, an attempt's run-time state
and score; filters; the OpenAPI schema; a learner reads only their own attempts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from qualify.content import cmi5, services
from tests.content import packages

pytestmark = pytest.mark.requirement("P77")


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


@pytest.fixture
def scorm_attempt(plant, scorm12):
    _document, _requirement, learner, assignment = plant.course(scorm12)
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    services.runtime_commit(
        actor=learner.user,
        attempt=attempt,
        item="sco1",
        body={
            "cmi": {
                "core": {"lesson_location": "3", "lesson_status": "incomplete"},
                "suspend_data": "seen=3",
            },
            "capturedAt": 5,
        },
    )
    return attempt, learner


def test_packages_are_listed_with_their_version_standard_and_items(plant, scorm_attempt):
    plant.package_document(packages.cmi5_package(), title="Cleanroom")
    api = _api(plant.qa)
    listed = api.get(reverse("api:content-packages"))
    assert listed.status_code == 200, listed.content
    rows = listed.json()["results"]
    assert sorted(r["standard"] for r in rows) == ["cmi5", "scorm12"]
    scorm = next(r for r in rows if r["standard"] == "scorm12")
    assert (scorm["revision"], scorm["version_status"], scorm["edition"]) == (
        "1",
        "approved",
        "1.2",
    )
    assert scorm["items"][0]["identifier"] == "sco1"
    assert scorm["items"][0]["mastery_score"] == "80"
    only_cmi5 = api.get(reverse("api:content-packages"), {"standard": "cmi5"}).json()["results"]
    assert [r["title"] for r in only_cmi5] == ["Cleanroom entry (cmi5)"]
    assert api.get(reverse("api:content-packages"), {"standard": "aicc"}).status_code == 400
    one = api.get(reverse("api:content-package", args=[scorm["id"]]))
    assert one.json()["document"] == scorm["document"]


def test_an_attempts_runtime_state_and_score_are_read(plant, scorm_attempt):
    attempt, learner = scorm_attempt
    api = _api(plant.coordinator)
    listed = api.get(reverse("api:content-attempts"), {"person": learner.employee_number})
    [row] = listed.json()["results"]
    assert (row["id"], row["status"], row["standard"], row["number"]) == (
        attempt.pk,
        "open",
        "scorm12",
        1,
    )
    detail = api.get(reverse("api:content-attempt", args=[attempt.pk])).json()
    [sco] = detail["state"]
    assert (sco["item"], sco["location"], sco["suspend_data"]) == ("sco1", "3", "seen=3")
    assert sco["completion_status"] == "incomplete"
    assert detail["commits"] == 1
    assert api.get(reverse("api:content-attempts"), {"status": "signed"}).json()["results"] == []


def test_the_api_is_read_only(plant, scorm_attempt):
    attempt, _ = scorm_attempt
    api = _api(plant.coordinator)
    assert api.delete(reverse("api:content-attempt", args=[attempt.pk])).status_code in (403, 405)
    assert api.post(reverse("api:content-packages"), {}, format="json").status_code in (403, 405)


def test_a_learner_reads_only_their_own_attempts(plant, scorm_attempt):
    attempt, learner = scorm_attempt
    other = plant.person("Other", job_function=plant.operators)
    mine = _api(learner.user).get(reverse("api:content-attempts")).json()["results"]
    assert [r["id"] for r in mine] == [attempt.pk]
    api = _api(other.user)
    assert api.get(reverse("api:content-attempts")).json()["results"] == []
    assert api.get(reverse("api:content-attempt", args=[attempt.pk])).status_code == 404


def test_a_cmi5_attempt_shows_each_aus_verbs_and_move_on(plant):
    _document, _requirement, learner, assignment = plant.course(packages.cmi5_package())
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    cmi5.waive(
        actor=plant.coordinator,
        attempt=attempt,
        au=packages.AU_ID,
        reason="Tested Out",
        justification="Passed the equivalent test in onboarding",
    )
    detail = _api(plant.coordinator).get(reverse("api:content-attempt", args=[attempt.pk])).json()
    [au] = detail["state"]
    assert (au["item"], au["waived"], au["satisfied"]) == (packages.AU_ID, True, True)
    assert "waived" in au["verbs"]
    assert detail["status"] == "completed"
    assert detail["statements"] >= 2


def test_the_schema_describes_the_content_operations(client):
    schema = client.get(reverse("api:schema"), {"format": "json"})
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/content/packages/",
        "/api/v1/content/packages/{id}/",
        "/api/v1/content/attempts/",
        "/api/v1/content/attempts/{id}/",
    ):
        assert set(paths[path]) == {"get"}, path
    parameters = {p["name"] for p in paths["/api/v1/content/attempts/"]["get"]["parameters"]}
    assert {"person", "requirement", "document", "package", "status"} <= parameters


def test_the_attempts_list_reads_the_same_number_of_queries_whatever_its_length(
    plant, scorm_attempt
):
    attempt, _learner = scorm_attempt
    api = _api(plant.coordinator)
    api.get(reverse("api:content-attempts"))  # the session's first write (P184)
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(reverse("api:content-attempts")).json()["results"]) == 1
    for n in range(4):
        other = plant.person(f"Other {n}", job_function=plant.operators)
        services.attempt_open(
            actor=other.user, assignment=other.assignments.get(requirement=attempt.requirement)
        )
    with CaptureQueriesContext(connection) as five:
        assert len(api.get(reverse("api:content-attempts")).json()["results"]) == 5
    assert len(five) == len(one)
