"""P48, P51, P52: SCORM run-time data kept on the server (resume anywhere), checked
as it arrives, and completion signed by the learner as a training record bound to
the package version."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qualify.audit.canonical import sha256_hex
from qualify.content import services
from qualify.content.models import AttemptStatus, RuntimeCommit, ScoState
from qualify.guards import AlreadyDone
from qualify.signatures.models import Signature
from qualify.training.models import AssignmentStatus, Method
from qualify.web.content.views import commit_key
from tests.content import packages
from tests.training.support import DAY, creds

pytestmark = pytest.mark.requirement("P48")


def commit(client, attempt, item, cmi, *, at, final=False):
    key = commit_key(attempt, attempt.person.user)
    url = f"/content/attempts/{attempt.pk}/commit/?item={item}&key={key}" + (
        "&final=true" if final else ""
    )
    body = {"cmi": cmi, "capturedAt": at}
    return client.post(url, data=json.dumps(body), content_type="application/json").json()


@pytest.fixture
def course12(plant, scorm12):
    _document, _requirement, learner, assignment = plant.course(scorm12)
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    return attempt, learner, assignment


def test_only_the_learner_opens_their_attempt(plant, course12):
    attempt, learner, assignment = course12
    assert (attempt.number, attempt.status) == (1, AttemptStatus.OPEN)
    assert services.attempt_open(actor=learner.user, assignment=assignment) == attempt
    with pytest.raises(PermissionDenied):
        services.attempt_open(actor=plant.coordinator, assignment=assignment)


def test_a_suspended_session_resumes_where_it_stopped_on_any_device(client, course12):
    """The data lives on the server: a new browser (another device) gets it back."""
    attempt, learner, _ = course12
    client.force_login(learner.user)
    answer = commit(
        client,
        attempt,
        "sco1",
        {
            "core": {
                "lesson_location": "7",
                "lesson_status": "incomplete",
                "exit": "suspend",
                "session_time": "00:05:00",
            },
            "suspend_data": "seen=7",
            "interactions": {"childArray": [{"id": "q7", "type": "choice", "result": "correct"}]},
        },
        at=1000,
        final=True,
    )
    assert answer == {"result": True, "errorCode": 0, "problems": [], "completed": False}
    data = services.launch_data(attempt, services.item_of(attempt.package, "sco1"))
    assert data["cmi.core.entry"] == "resume"
    assert data["cmi.core.lesson_location"] == "7"
    assert data["cmi.suspend_data"] == "seen=7"
    assert data["cmi.core.student_id"] == learner.employee_number
    assert data["cmi.student_data.mastery_score"] == "80"
    state = ScoState.objects.get(attempt=attempt, item="sco1")
    assert state.cmi["cmi.interactions.0.id"] == "q7"
    assert state.total_seconds == 300


def test_a_session_lost_before_it_ended_also_resumes(client, course12):
    attempt, learner, _ = course12
    client.force_login(learner.user)
    commit(client, attempt, "sco1", {"core": {"lesson_location": "3"}, "suspend_data": "x"}, at=5)
    data = services.launch_data(attempt, services.item_of(attempt.package, "sco1"))
    assert (data["cmi.core.entry"], data["cmi.core.lesson_location"]) == ("resume", "3")


def test_a_session_that_ended_normally_starts_afresh_but_keeps_its_results(client, course12):
    attempt, learner, _ = course12
    client.force_login(learner.user)
    commit(
        client,
        attempt,
        "sco1",
        {
            "core": {"lesson_location": "3", "lesson_status": "incomplete", "exit": ""},
            "suspend_data": "x",
        },
        at=5,
        final=True,
    )
    data = services.launch_data(attempt, services.item_of(attempt.package, "sco1"))
    assert data["cmi.core.entry"] == ""
    assert "cmi.suspend_data" not in data
    assert data["cmi.core.lesson_status"] == "incomplete"


def test_the_first_launch_is_ab_initio(course12):
    attempt, _, _ = course12
    data = services.launch_data(attempt, services.item_of(attempt.package, "sco1"))
    assert data["cmi.core.entry"] == "ab-initio"


def test_a_late_offline_replay_never_overwrites_newer_data(client, course12):
    attempt, learner, _ = course12
    client.force_login(learner.user)
    commit(client, attempt, "sco1", {"core": {"lesson_location": "9"}}, at=2000)
    answer = commit(client, attempt, "sco1", {"core": {"lesson_location": "4"}}, at=1500)
    assert answer["result"] is False
    assert ScoState.objects.get(attempt=attempt).cmi["cmi.core.lesson_location"] == "9"
    late = RuntimeCommit.objects.filter(attempt=attempt).last()
    assert (late.accepted, late.problems) == (False, ["stale: a newer commit was already applied"])
    assert late.body["cmi"]["core"]["lesson_location"] == "4"  # kept as received


@pytest.mark.requirement("P52")
@pytest.mark.parametrize(
    ("cmi", "problem"),
    [
        ({"core": {"score": {"raw": "abc"}}}, "cmi.core.score.raw = 'abc' is not a number."),
        ({"core": {"score": {"raw": "120"}}}, "cmi.core.score.raw = '120' is out of range."),
        (
            {"core": {"lesson_status": "done"}},
            "cmi.core.lesson_status = 'done' is not one of the allowed values.",
        ),
        (
            {"core": {"session_time": "5 minutes"}},
            "cmi.core.session_time = '5 minutes' is not a SCORM 1.2 time span.",
        ),
        ({"suspend_data": "x" * 4097}, "cmi.suspend_data is longer than 4096 characters."),
    ],
)
def test_a_non_conforming_value_is_refused_with_the_scorm_error_and_kept(
    client, course12, cmi, problem
):
    attempt, learner, _ = course12
    client.force_login(learner.user)
    commit(client, attempt, "sco1", {"core": {"lesson_location": "2"}}, at=1)
    answer = commit(client, attempt, "sco1", cmi, at=2)
    assert answer["result"] is False
    assert answer["errorCode"] == 101
    assert answer["problems"] == [problem]
    refused = RuntimeCommit.objects.filter(attempt=attempt).last()
    assert (refused.accepted, refused.problems) == (False, [problem])
    assert ScoState.objects.get(attempt=attempt).cmi == {"cmi.core.lesson_location": "2"}


@pytest.mark.requirement("P52")
def test_a_commit_that_is_not_cmi_json_is_refused_and_kept(client, course12):
    attempt, learner, _ = course12
    client.force_login(learner.user)
    key = commit_key(attempt, learner.user)
    response = client.post(
        f"/content/attempts/{attempt.pk}/commit/?item=sco1&key={key}",
        data="not json",
        content_type="text/plain",
    )
    assert response.json()["result"] is False
    assert RuntimeCommit.objects.get(attempt=attempt).body == {"raw": "not json"}


def test_a_final_commit_sent_as_a_beacon_is_accepted_with_the_url_key(course12):
    """navigator.sendBeacon sends text/plain with no CSRF header: the key in the URL
    stands in for the CSRF token (the test client enforces CSRF here)."""
    from django.test import Client

    attempt, learner, _ = course12
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner.user)
    body = json.dumps({"cmi": {"core": {"lesson_location": "6"}}, "capturedAt": 9})
    url = f"/content/attempts/{attempt.pk}/commit/?item=sco1&final=true"
    refused = browser.post(url + "&key=forged", data=body, content_type="text/plain")
    assert refused.status_code == 403
    assert not RuntimeCommit.objects.exists()
    key = commit_key(attempt, learner.user)
    accepted = browser.post(f"{url}&key={key}", data=body, content_type="text/plain")
    assert accepted.json()["result"] is True
    assert ScoState.objects.get(attempt=attempt).cmi == {"cmi.core.lesson_location": "6"}


def test_another_person_cannot_commit_to_an_attempt(client, plant, course12):
    attempt, _, _ = course12
    other = plant.person("Other")
    client.force_login(other.user)
    response = client.post(
        f"/content/attempts/{attempt.pk}/commit/?item=sco1",
        data=json.dumps({"cmi": {"core": {"lesson_location": "1"}}}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not RuntimeCommit.objects.exists()


def test_an_unknown_sco_is_refused(client, course12):
    attempt, learner, _ = course12
    client.force_login(learner.user)
    answer = commit(client, attempt, "nope", {"core": {"lesson_location": "1"}}, at=1)
    assert answer["result"] is False
    assert answer["problems"] == ["The package has no item 'nope'."]


# --- completion (P51) ------------------------------------------------------------------


@pytest.mark.requirement("P51")
def test_a_score_below_the_mastery_score_is_failed_whatever_the_sco_says(client, course12):
    """SCORM 1.2 RTE 3.4.4: with a mastery score, the LMS decides pass or fail."""
    attempt, learner, _ = course12
    client.force_login(learner.user)
    answer = commit(
        client, attempt, "sco1", {"core": {"lesson_status": "passed", "score": {"raw": "70"}}}, at=1
    )
    assert answer["completed"] is False
    state = ScoState.objects.get(attempt=attempt)
    assert (state.completion_status, state.success_status) == ("completed", "failed")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN


@pytest.mark.requirement("P51")
def test_completion_is_signed_as_a_record_bound_to_the_package_version(client, plant, course12):
    attempt, learner, assignment = course12
    client.force_login(learner.user)
    commit(
        client,
        attempt,
        "sco1",
        {"core": {"lesson_location": "2", "session_time": "00:04:00"}},
        at=1,
        final=True,
    )
    answer = commit(
        client,
        attempt,
        "sco1",
        {"core": {"lesson_status": "passed", "score": {"raw": "90"}, "session_time": "00:03:30"}},
        at=2,
        final=True,
    )
    assert answer["completed"] is True
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.session_seconds) == (
        AttemptStatus.COMPLETED,
        Decimal("90.00"),
        450,
    )
    evidence = sha256_hex(services.evidence_of(attempt))
    record = services.attempt_sign(
        actor=learner.user, attempt=attempt, credentials=creds(learner.user)
    )
    assert record.method == Method.ELEARNING
    assert record.document_version == attempt.package.version
    assert record.score == Decimal("90.00")
    assert record.evidence_sha256 == evidence
    assert "attempt 1" in record.notes
    assert "session time 7 min" in record.notes
    signature = Signature.objects.get(
        object_type="training.trainingrecord", object_id=str(record.pk)
    )
    assert (signature.meaning, signature.signer) == ("completed_training", learner.user)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.record) == (AttemptStatus.SIGNED, record)
    assignment.refresh_from_db()
    assert (assignment.status, assignment.record) == (AssignmentStatus.COMPLETED, record)
    with pytest.raises(AlreadyDone):
        services.attempt_sign(actor=learner.user, attempt=attempt, credentials=creds(learner.user))
    # Nothing more is recorded on a signed attempt.
    assert (
        commit(client, attempt, "sco1", {"core": {"lesson_location": "5"}}, at=3)["result"] is False
    )


@pytest.mark.requirement("P51")
def test_completion_cannot_be_signed_before_the_package_reports_it(course12):
    attempt, learner, _ = course12
    with pytest.raises(ValidationError, match="has not reported completion"):
        services.attempt_sign(actor=learner.user, attempt=attempt, credentials=creds(learner.user))


@pytest.mark.requirement("P51")
def test_a_wrong_password_signs_nothing(client, course12):
    attempt, learner, _ = course12
    client.force_login(learner.user)
    commit(
        client, attempt, "sco1", {"core": {"lesson_status": "passed", "score": {"raw": "95"}}}, at=1
    )
    with pytest.raises(ValidationError):
        services.attempt_sign(
            actor=learner.user, attempt=attempt, credentials=creds(learner.user, "wrong")
        )
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.COMPLETED
    assert attempt.record is None


@pytest.mark.requirement("P51")
def test_only_the_learner_signs_their_completion(plant, client, course12):
    attempt, learner, _ = course12
    client.force_login(learner.user)
    commit(
        client, attempt, "sco1", {"core": {"lesson_status": "passed", "score": {"raw": "95"}}}, at=1
    )
    with pytest.raises(PermissionDenied):
        services.attempt_sign(
            actor=plant.coordinator, attempt=attempt, credentials=creds(plant.coordinator)
        )


@pytest.mark.requirement("P51")
def test_an_attempt_on_a_revised_package_cannot_be_signed_for_the_new_version(
    client, plant, scorm12
):
    document, _, learner, assignment = plant.course(scorm12)
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    client.force_login(learner.user)
    commit(
        client, attempt, "sco1", {"core": {"lesson_status": "passed", "score": {"raw": "95"}}}, at=1
    )
    plant.package_revision(
        document, "2", packages.scorm12_package(), effective_from=timezone.now() + 31 * DAY
    )
    with pytest.raises(ValidationError, match="is now due on"):
        services.attempt_sign(actor=learner.user, attempt=attempt, credentials=creds(learner.user))


@pytest.mark.requirement("P51")
def test_a_multi_sco_course_completes_when_every_sco_is_completed(client, plant):
    _document, _, learner, assignment = plant.course(packages.scorm2004_package())
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    client.force_login(learner.user)
    done = {
        "completion_status": "completed",
        "success_status": "passed",
        "score": {"scaled": "0.8"},
        "session_time": "PT2M",
    }
    assert commit(client, attempt, "part1", done, at=1, final=True)["completed"] is False
    answer = commit(
        client, attempt, "part2", {**done, "score": {"scaled": "0.6"}}, at=2, final=True
    )
    assert answer["completed"] is True
    attempt.refresh_from_db()
    assert (attempt.score, attempt.session_seconds) == (Decimal("70.00"), 240)


@pytest.mark.requirement("P52")
@pytest.mark.parametrize(
    ("cmi", "problem"),
    [
        ({"score": {"scaled": "1.5"}}, "cmi.score.scaled = '1.5' is out of range."),
        (
            {"completion_status": "passed"},
            "cmi.completion_status = 'passed' is not one of the allowed values.",
        ),
        (
            {"session_time": "00:01:00"},
            "cmi.session_time = '00:01:00' is not an ISO 8601 duration.",
        ),
    ],
)
def test_a_non_conforming_2004_value_answers_the_general_commit_failure(
    client, plant, cmi, problem
):
    _document, _, learner, assignment = plant.course(packages.scorm2004_package())
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    client.force_login(learner.user)
    answer = commit(client, attempt, "part1", cmi, at=1)
    assert (answer["result"], answer["errorCode"], answer["problems"]) == (False, 391, [problem])


@pytest.mark.requirement("P51", "A4")
def test_the_trail_verifies_after_a_package_is_replaced_played_and_signed(client, plant, scorm12):
    """Every audited content row (package, attempt) matches its last audit event."""
    from django.core.files.base import ContentFile

    from qualify.audit.verify import verify_trail
    from qualify.documents import services as documents

    document, _requirement, learner, assignment = plant.course(scorm12)
    draft = documents.version_draft(
        actor=plant.doc_controller,
        document=document,
        revision="2",
        change_summary="Next",
        file=ContentFile(scorm12, name="a.zip"),
    )
    documents.version_update_draft(
        actor=plant.doc_controller,
        version=draft,
        reason="Two SCOs",
        file=ContentFile(packages.scorm2004_package(), name="b.zip"),
    )
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    client.force_login(learner.user)
    done = {"core": {"lesson_status": "passed", "score": {"raw": "85"}}}
    commit(client, attempt, "sco1", done, at=1, final=True)
    services.attempt_sign(actor=learner.user, attempt=attempt, credentials=creds(learner.user))
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]
