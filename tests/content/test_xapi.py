"""P49, P50: cmi5 launch, the one-time token, the LMS's cmi5 rules and moveOn; the
xAPI 1.0.3 endpoint's answers (status codes, headers, voiding, documents)."""

import json
import uuid
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from qualify.audit.models import AuditEvent
from qualify.content import cmi5, services
from qualify.content.models import AttemptStatus, Statement
from qualify.training.models import AssignmentStatus
from tests.content import packages
from tests.training.support import creds

pytestmark = pytest.mark.requirement("P50")

V = {"HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}


class AU:
    """What a cmi5 AU does with its launch URL, through the test client."""

    def __init__(self, client, url: str) -> None:
        self.client = client
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        self.query = query
        self.endpoint = urlsplit(query["endpoint"]).path
        self.registration = query["registration"]
        self.activity = query["activityId"]
        self.actor = json.loads(query["actor"])
        self.token = None
        self.session_id = None

    def fetch(self):
        return self.client.post(urlsplit(self.query["fetch"]).path)

    def start(self):
        self.token = self.fetch().json()["auth-token"]
        launch_data = self.get_state("LMS.LaunchData").json()
        self.session_id = launch_data["contextTemplate"]["extensions"][cmi5.SESSION_EXT]
        return launch_data

    def headers(self, **extra):
        return {**V, "HTTP_AUTHORIZATION": f"Basic {self.token}", **extra}

    def statement(self, verb, **extra):
        body = {
            "actor": self.actor,
            "verb": {"id": verb},
            "object": {"objectType": "Activity", "id": self.activity},
            "context": {
                "registration": self.registration,
                "contextActivities": {"category": [{"id": cmi5.CMI5_CATEGORY}]},
                "extensions": {cmi5.SESSION_EXT: self.session_id},
            },
        }
        body.update(extra)
        return body

    def post(self, body, **headers):
        return self.client.post(
            self.endpoint + "statements",
            data=json.dumps(body),
            content_type="application/json",
            **self.headers(**headers),
        )

    def put(self, statement_id, body):
        return self.client.put(
            self.endpoint + f"statements?statementId={statement_id}",
            data=json.dumps(body),
            content_type="application/json",
            **self.headers(),
        )

    def get(self, **params):
        return self.client.get(self.endpoint + "statements", params, **self.headers())

    def state_url(self, state_id=None):
        query = {
            "activityId": self.activity,
            "agent": json.dumps(self.actor),
            "registration": self.registration,
        }
        if state_id:
            query["stateId"] = state_id
        return (
            self.endpoint
            + "activities/state?"
            + "&".join(f"{k}={__import__('urllib.parse').parse.quote(v)}" for k, v in query.items())
        )

    def get_state(self, state_id):
        return self.client.get(self.state_url(state_id), **self.headers())


@pytest.fixture
def course(plant):
    _document, _requirement, learner, assignment = plant.course(packages.cmi5_package())
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    return attempt, learner, assignment


def launch(client, learner, assignment) -> AU:
    client.force_login(learner.user)
    page = client.get(f"/content/assignments/{assignment.pk}/")
    assert page.status_code == 200
    client.logout()  # the AU talks with its token, never the session
    return AU(client, page.context["au_url"])


# --- launch and token (P49) --------------------------------------------------------------


@pytest.mark.requirement("P49")
def test_the_au_is_launched_with_the_five_cmi5_parameters(client, course):
    attempt, learner, assignment = course
    au = launch(client, learner, assignment)
    assert set(au.query) == {"endpoint", "fetch", "registration", "activityId", "actor"}
    assert au.query["endpoint"].endswith("/content/xapi/")
    assert au.registration == str(attempt.registration)
    assert au.activity == packages.AU_ID
    assert au.actor["account"]["name"] == learner.employee_number
    launched = Statement.objects.get(attempt=attempt, verb=cmi5.LAUNCHED)
    assert (
        launched.body["context"]["extensions"][
            "https://w3id.org/xapi/cmi5/context/extensions/moveon"
        ]
        == "CompletedAndPassed"
    )


@pytest.mark.requirement("P49")
def test_the_auth_token_is_given_once(client, course):
    au = launch(client, *course[1:])
    first = au.fetch()
    assert first.status_code == 200
    assert set(first.json()) == {"auth-token"}
    second = au.fetch()
    assert second.json() == {"error-code": "1", "error-text": "The auth token was already fetched."}
    assert client.get(urlsplit(au.query["fetch"]).path).status_code == 405


@pytest.mark.requirement("P49")
def test_the_launch_data_state_tells_the_au_its_session_and_move_on(client, course):
    au = launch(client, *course[1:])
    data = au.start()
    assert data["launchMode"] == "Normal"
    assert data["moveOn"] == "CompletedAndPassed"
    assert data["masteryScore"] == 0.8
    assert uuid.UUID(au.session_id)


def test_the_endpoint_refuses_without_a_token_or_version(client, course):
    au = launch(client, *course[1:])
    au.start()
    missing = client.get(au.endpoint + "statements", **V)
    assert missing.status_code == 401
    assert missing["X-Experience-API-Version"] == "1.0.3"
    session = client.get(au.endpoint + "statements", **V, HTTP_AUTHORIZATION="Basic not-a-token")
    assert session.status_code == 401
    no_version = client.get(au.endpoint + "statements", HTTP_AUTHORIZATION=f"Basic {au.token}")
    assert no_version.status_code == 400
    about = client.get(au.endpoint + "about")
    assert (about.status_code, about.json()) == (200, {"version": ["1.0.3"]})


def test_a_browser_session_is_not_a_credential(client, course):
    _attempt, learner, assignment = course
    au = launch(client, learner, assignment)
    client.force_login(learner.user)
    assert client.get(au.endpoint + "statements", **V).status_code == 401


# --- statements (P50) --------------------------------------------------------------------


def test_statements_are_stored_and_read_back_with_the_xapi_headers(client, course):
    attempt, learner, assignment = course
    au = launch(client, learner, assignment)
    au.start()
    posted = au.post(au.statement(cmi5.INITIALIZED))
    assert posted.status_code == 200
    assert posted["X-Experience-API-Version"] == "1.0.3"
    [statement_id] = posted.json()
    one = au.get(statementId=statement_id)
    assert one.status_code == 200
    assert one.json()["id"] == statement_id
    assert one.json()["stored"]
    assert one.json()["authority"]["account"]["name"] == "qualify-lrs"
    assert one["X-Experience-API-Consistent-Through"]
    listed = au.get(verb=cmi5.INITIALIZED)
    assert [s["id"] for s in listed.json()["statements"]] == [statement_id]
    assert listed.json()["more"] == ""
    assert Statement.objects.get(statement_id=statement_id).attempt == attempt


def test_put_stores_under_the_given_id_once_and_conflicts_on_a_different_one(client, course):
    au = launch(client, *course[1:])
    au.start()
    statement_id = str(uuid.uuid4())
    body = au.statement(cmi5.INITIALIZED, timestamp="2026-11-30T10:00:00+00:00")
    assert au.put(statement_id, body).status_code == 204
    assert au.put(statement_id, body).status_code == 204
    assert Statement.objects.filter(statement_id=statement_id).count() == 1
    other = au.statement(cmi5.INITIALIZED, timestamp="2026-11-30T11:00:00+00:00")
    assert au.put(statement_id, other).status_code == 409
    assert (
        au.client.put(
            au.endpoint + "statements", data="{}", content_type="application/json", **au.headers()
        ).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (
            {
                "actor": {
                    "objectType": "Agent",
                    "account": {"homePage": "http://x", "name": "someone"},
                }
            },
            403,
        ),
        ({"context": {"registration": str(uuid.uuid4())}}, 403),
        ({"verb": {"id": cmi5.SATISFIED}}, 403),
        ({"verb": {}}, 400),
        ({"id": "not-a-uuid"}, 400),
        ({"actor": {"objectType": "Agent"}}, 400),
    ],
)
def test_a_statement_with_a_wrong_actor_or_registration_is_refused_and_nothing_stored(
    client, course, change, status
):
    attempt, learner, assignment = course
    au = launch(client, learner, assignment)
    au.start()
    before = Statement.objects.count()
    answer = au.post([au.statement(cmi5.INITIALIZED), {**au.statement(cmi5.INITIALIZED), **change}])
    assert answer.status_code == status
    assert answer["X-Experience-API-Version"] == "1.0.3"
    assert Statement.objects.count() == before
    refused = AuditEvent.objects.filter(action="content.xapi.refused")
    if status == 403:
        [event] = refused
        assert event.object_id == str(attempt.pk)
        assert answer.json()["error"] in event.entry
    else:
        assert not refused.exists()


@pytest.mark.requirement("P49")
def test_the_cmi5_rules_apply_to_the_aus_statements(client, course):
    au = launch(client, *course[1:])
    au.start()
    assert au.post(au.statement(cmi5.COMPLETED)).status_code == 403  # before initialized
    assert au.post(au.statement(cmi5.INITIALIZED)).status_code == 200
    low = au.statement(cmi5.PASSED, result={"success": True, "score": {"scaled": 0.5}})
    assert au.post(low).status_code == 403  # below the mastery score
    assert au.post(au.statement(cmi5.COMPLETED)).status_code == 200
    assert au.post(au.statement(cmi5.COMPLETED)).status_code == 403  # twice
    assert au.post(au.statement(cmi5.TERMINATED)).status_code == 200
    assert au.post(au.statement("http://adlnet.gov/expapi/verbs/experienced")).status_code == 403


def test_voiding_hides_a_statement_and_never_deletes_it(client, course):
    au = launch(client, *course[1:])
    au.start()
    [target] = au.post(au.statement(cmi5.INITIALIZED)).json()
    [experienced] = au.post(au.statement("http://adlnet.gov/expapi/verbs/experienced")).json()
    voiding = au.statement(cmi5.VOIDED, object={"objectType": "StatementRef", "id": experienced})
    [voider] = au.post(voiding).json()
    assert au.get(statementId=experienced).status_code == 404
    voided = au.get(voidedStatementId=experienced)
    assert (voided.status_code, voided.json()["id"]) == (200, experienced)
    listed = [s["id"] for s in au.get().json()["statements"]]
    assert experienced not in listed
    assert target in listed
    assert voider in listed
    assert Statement.objects.filter(statement_id=experienced).exists()
    # A voiding statement cannot itself be voided; an unknown target is refused.
    again = au.statement(cmi5.VOIDED, object={"objectType": "StatementRef", "id": voider})
    assert au.post(again).status_code == 400
    unknown = au.statement(
        cmi5.VOIDED, object={"objectType": "StatementRef", "id": str(uuid.uuid4())}
    )
    assert au.post(unknown).status_code == 400


def test_statement_queries_check_their_parameters(client, course):
    au = launch(client, *course[1:])
    au.start()
    assert au.get(statementId="nope").status_code == 400
    assert au.get(statementId=str(uuid.uuid4()), verb=cmi5.INITIALIZED).status_code == 400
    assert au.get(since="yesterday").status_code == 400
    assert au.get(limit="many").status_code == 400
    assert au.get(statementId=str(uuid.uuid4())).status_code == 404


# --- moveOn and completion (P49, P51) ------------------------------------------------------


@pytest.mark.parametrize(
    ("move_on", "verbs", "satisfied"),
    [
        ("Completed", {cmi5.COMPLETED}, True),
        ("Completed", {cmi5.PASSED}, False),
        ("Passed", {cmi5.PASSED}, True),
        ("Passed", {cmi5.FAILED, cmi5.COMPLETED}, False),
        ("CompletedAndPassed", {cmi5.COMPLETED}, False),
        ("CompletedAndPassed", {cmi5.COMPLETED, cmi5.PASSED}, True),
        ("CompletedOrPassed", {cmi5.PASSED}, True),
        ("CompletedOrPassed", {cmi5.FAILED}, False),
        ("NotApplicable", set(), True),
        ("Passed", {cmi5.WAIVED}, True),
    ],
)
@pytest.mark.requirement("P49")
def test_move_on_decides_when_an_au_is_satisfied(move_on, verbs, satisfied):
    assert cmi5.au_satisfied(move_on, verbs) is satisfied


@pytest.mark.requirement("P49", "P51")
def test_satisfying_move_on_completes_the_attempt_and_the_learner_signs(client, course):
    attempt, learner, assignment = course
    au = launch(client, learner, assignment)
    au.start()
    au.post(au.statement(cmi5.INITIALIZED))
    au.post(au.statement(cmi5.COMPLETED, result={"completion": True}))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN
    passed = au.statement(cmi5.PASSED, result={"success": True, "score": {"scaled": 0.9}})
    assert au.post(passed).status_code == 200
    au.post(au.statement(cmi5.TERMINATED, result={"duration": "PT5M"}))
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == (AttemptStatus.COMPLETED, Decimal("90.00"))
    satisfied = Statement.objects.filter(attempt=attempt, verb=cmi5.SATISFIED)
    assert {s.activity_id for s in satisfied} == {packages.AU_ID, packages.COURSE_ID}
    record = services.attempt_sign(
        actor=learner.user, attempt=attempt, credentials=creds(learner.user)
    )
    assert record.score == Decimal("90.00")
    assert record.document_version == attempt.package.version
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    evidence = services.evidence_of(attempt)
    assert len(evidence["statements"]) == Statement.objects.filter(attempt=attempt).count()


@pytest.mark.requirement("P49")
def test_relaunching_abandons_the_session_left_open(client, course):
    attempt, learner, assignment = course
    au = launch(client, learner, assignment)
    au.start()
    au.post(au.statement(cmi5.INITIALIZED))
    second = launch(client, learner, assignment)
    assert Statement.objects.filter(attempt=attempt, verb=cmi5.ABANDONED).count() == 1
    # The abandoned session's token no longer works; the new one does.
    assert au.post(au.statement(cmi5.COMPLETED)).status_code == 401
    second.start()
    assert second.post(second.statement(cmi5.INITIALIZED)).status_code == 200


@pytest.mark.requirement("P49")
def test_a_waived_au_satisfies_move_on(plant, course):
    attempt, _, _ = course
    cmi5.waive(
        actor=plant.coordinator,
        attempt=attempt,
        au=packages.AU_ID,
        reason="Tested Out",
        justification="Passed the equivalent test in onboarding",
    )
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.COMPLETED
    waived = Statement.objects.get(attempt=attempt, verb=cmi5.WAIVED)
    assert (
        waived.body["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/reason"]
        == "Tested Out"
    )


# --- documents (P50) -----------------------------------------------------------------


def test_state_documents_are_put_merged_read_and_deleted(client, course):
    au = launch(client, *course[1:])
    au.start()
    url = au.state_url("bookmark")
    assert (
        client.put(
            url, data='{"page": 1}', content_type="application/json", **au.headers()
        ).status_code
        == 204
    )
    assert (
        client.post(
            url, data='{"seen": [1]}', content_type="application/json", **au.headers()
        ).status_code
        == 204
    )
    got = client.get(url, **au.headers())
    assert got.json() == {"page": 1, "seen": [1]}
    etag = got["ETag"]
    stale = client.put(
        url, data="{}", content_type="application/json", **au.headers(HTTP_IF_MATCH='"old"')
    )
    assert stale.status_code == 412
    fresh = client.put(
        url, data='{"page": 2}', content_type="application/json", **au.headers(HTTP_IF_MATCH=etag)
    )
    assert fresh.status_code == 204
    ids = client.get(au.state_url(), **au.headers()).json()
    assert sorted(ids) == ["LMS.LaunchData", "bookmark"]
    assert client.delete(url, **au.headers()).status_code == 204
    assert client.get(url, **au.headers()).status_code == 404


def test_another_agents_documents_are_out_of_reach(client, course):
    au = launch(client, *course[1:])
    au.start()
    other = json.dumps({"objectType": "Agent", "mbox": "mailto:other@example.com"})
    answer = client.get(
        au.endpoint + "agents/profile",
        {"agent": other, "profileId": "cmi5LearnerPreferences"},
        **au.headers(),
    )
    assert answer.status_code == 403


def test_agent_and_activity_profiles(client, course):
    au = launch(client, *course[1:])
    au.start()
    agent = json.dumps(au.actor)
    url = au.endpoint + "agents/profile?agent=" + __import__("urllib.parse").parse.quote(agent)
    prefs = '{"languagePreference": "en-US", "audioPreference": "on"}'
    assert (
        client.put(
            url + "&profileId=cmi5LearnerPreferences",
            data=prefs,
            content_type="application/json",
            **au.headers(),
        ).status_code
        == 204
    )
    assert (
        client.get(url + "&profileId=cmi5LearnerPreferences", **au.headers()).json()[
            "audioPreference"
        ]
        == "on"
    )
    activity = au.endpoint + "activities/profile?activityId=" + au.activity
    assert (
        client.put(
            activity + "&profileId=p", data="text", content_type="text/plain", **au.headers()
        ).status_code
        == 204
    )
    got = client.get(activity + "&profileId=p", **au.headers())
    assert (got.status_code, got.content, got["Content-Type"]) == (200, b"text", "text/plain")
    assert client.get(au.endpoint + "activities/profile", **au.headers()).status_code == 400
