"""Least privilege, declared once and tested exhaustively (P15, U2, P13, P10, A5).

Every URL pattern of the project and every operation of the OpenAPI schema has a
declared rule in qualify.accounts.policy. Then every pattern is requested by every
persona (each role, a user restricted to client A, one restricted to client B, an
anonymous visitor) with GET and with POST, and the answer must be what the rule
says: the login page (pages) or 401 (API) for the anonymous visitor, 403 for a
signed-in user the rule does not name, neither for one it names. Last, the rows a
permitted user reaches: their own, their trainees', their clients', in-house, as
the rule's reach says, answered 404 when out of reach; and a refused write is an
audit event (A5).

The plant is built once for the module inside a transaction that is rolled back
at the end, so the audit trail of other modules never sees it.
"""

import datetime as dt
import re
from functools import cached_property

import pytest
from django.core.files.base import ContentFile
from django.test import Client as PageClient
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qualify.accounts import policy, roles
from qualify.audit.models import AuditEvent
from qualify.documents import services as documents
from qualify.org import services as org
from qualify.quality import services as quality
from qualify.training import services as training
from qualify.training.models import Assignment, Method, TrainingRecord
from tests.module_world import rolled_back
from tests.personas import PERSONAS, make_user
from tests.quality.plant import Plant, creds
from tests.web.headers import assert_page_headers, is_page

pytestmark = pytest.mark.requirement("P15", "U2", "P13", "P10")

SIDES = ("ALPHA", "BRAVO", "HOUSE")  # client A, client B, in-house
RESTRICTED = {"client_a": "ALPHA", "client_b": "BRAVO"}
SIGNED_IN = [*PERSONAS, *RESTRICTED]
EVERYONE = [*SIGNED_IN, "anonymous"]
MISSING = 999999


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, view name, parameter names) of every URL the project serves."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            converters = {
                k: type(c).__name__.replace("Converter", "").lower()
                for k, c in p.pattern.converters.items()
            }
            yield prefix + str(p.pattern), namespace + (p.name or ""), converters


PATTERNS = sorted(url_patterns(), key=lambda p: (p[0], p[1]))


# --- Every URL has a declared rule -------------------------------------------------


def test_every_url_pattern_has_a_declared_rule():
    missing = [
        f"{route} ({name or 'unnamed'})" for route, name, _ in PATTERNS if name not in policy.POLICY
    ]
    assert missing == [], "declare these in qualify.accounts.policy.POLICY: " + ", ".join(missing)


def test_every_declared_rule_names_a_url_that_exists():
    names = {name for _, name, _ in PATTERNS}
    assert sorted(set(policy.POLICY) - names) == []


def test_an_undeclared_url_is_refused_to_everyone(db):
    rule = policy.rule_for("web:no_such_page")
    for role in roles.ROLES:
        user = make_user(f"holder_{role}", role)
        assert not policy.may(user, rule, "GET")
        assert not policy.may(user, rule, "POST")


def test_every_operation_of_the_api_schema_has_a_declared_rule(db):
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert len(paths) >= 20
    undeclared = []
    for path, operations in paths.items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        view_name = resolve(concrete).view_name
        for method in operations:
            if method in ("get", "post", "put", "patch", "delete"):
                rule = policy.rule_for(view_name, {})
                if rule is policy.UNDECLARED:
                    undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []


def test_the_api_views_carry_no_second_permission_dialect():
    """The table is the only place: no view keeps its own `perms` or `scopes`."""
    from qualify.api.base import ApiView

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    stray = [
        f"{c.__module__}.{c.__qualname__}.{attr}"
        for c in subclasses(ApiView)
        for attr in ("perms", "scopes")
        if attr in vars(c)
    ]
    assert stray == []


# --- The plant, built once for the module -----------------------------------------


class _Plant(Plant):
    """Reviewed by a second QA approver, approved by the first (S2)."""

    def revise(self, document, revision: str, **kw):
        reviewer = getattr(self, "reviewer", None)
        if reviewer is None:
            reviewer = self.reviewer = make_user("qa_reviewer", roles.EMPLOYEE, roles.QA_APPROVER)
        qa, self.qa = self.qa, reviewer
        try:
            return super().revise(document, revision, **kw)
        finally:
            self.qa = qa


class World:
    """Per side (client A, client B, in-house): a job function, an effective
    document, a requirement on it in the matrix, a person holding the job function
    and trained, their execution on a batch, a deviation and a CAPA about them, a
    change control. Each signed-in persona is a person of the in-house job function,
    trained, with their own execution and deviation; the trainer trained one of
    them on the job."""

    def __init__(self):
        self.users = {name: make_user(name, *PERSONAS[name]) for name in PERSONAS}
        for name in RESTRICTED:
            self.users[name] = make_user(name, roles.EMPLOYEE, roles.QA_APPROVER)
        u = self.users
        plant = _Plant(
            admin=u["admin"],
            coordinator=u["coordinator"],
            doc_controller=u["doc_controller"],
            qa=u["qa"],
        )
        self.plant = plant
        self.clients = {
            "ALPHA": org.client_create(actor=u["admin"], code="ALPHA", name="Alpha Pharma"),
            "BRAVO": org.client_create(actor=u["admin"], code="BRAVO", name="Bravo Bio"),
            "HOUSE": None,
        }
        for name, side in RESTRICTED.items():
            org.client_access_grant(
                actor=u["admin"],
                user=u[name],
                client=self.clients[side],
                reason="Works for one client",
            )
        self.documents, self.requirements, self.people, self.jf = {}, {}, {}, {}
        self.deviations, self.capas, self.change_controls, self.batches = {}, {}, {}, {}
        occurred = timezone.now() - dt.timedelta(hours=2)
        for n, side in enumerate(SIDES, 1):
            client = self.clients[side]
            jf = org.job_function_create(
                actor=u["coordinator"],
                code=f"JF-{side}",
                name=f"Filler {side}",
                site=plant.site,
                client=client,
            )
            document = documents.document_create(
                actor=u["doc_controller"],
                number=f"DOC-{side}",
                title=f"Procedure {side}",
                doc_type="sop",
                owner=u["doc_controller"],
                site=plant.site,
                client=client,
            )
            plant.approve(plant.revise(document, "1"))
            requirement = plant.requirement(f"RQ-{side}", document=document)
            plant.matrix(requirement, jf)
            person = plant.person(f"Other {side.title()}", job_function=jf)
            plant.complete(person, requirement)
            self.jf[side], self.documents[side] = jf, document
            self.requirements[side], self.people[side] = requirement, person
            self.batches[side] = f"LOT-{side}"
            quality.execution_record(
                actor=u["qa"], person=person, batch=f"LOT-{side}", documents=[document]
            )
            self.deviations[side] = quality.deviation_create(
                actor=u["qa"],
                number=f"DEV-2026-{900 + n}",
                site=plant.site,
                occurred_at=occurred,
                description=f"Deviation {side}",
                people=[person],
                documents=[document],
            )
            self.capas[side] = quality.capa_create(
                actor=u["qa"],
                number=f"CAPA-2026-{900 + n}",
                source="deviation",
                deviation=self.deviations[side],
                problem_statement=f"Problem {side}",
                root_cause_category="training",
            )
            self.change_controls[side] = quality.change_control_create(
                actor=u["qa"],
                number=f"CC-2026-{900 + n}",
                title=f"Change {side}",
                description="A change",
                reason="Because",
                risk="low",
                planned_effective_date=dt.date.today() + dt.timedelta(days=30),
                affected_documents=[document],
            )
        # Each persona who trains is a person of the in-house job function, trained,
        # with work of their own and a deviation they reported.
        self.own = {}
        house = self.documents["HOUSE"]
        for k, name in enumerate(("employee", "trainer", "coordinator", "doc_controller", "qa")):
            user = u[name]
            person = org.person_create(
                actor=u["coordinator"],
                employee_number=f"P-{name}",
                full_name=name.title(),
                site=plant.site,
                user=user,
                employed_from=timezone.now() - dt.timedelta(days=365),
            )
            org.job_assignment_start(
                actor=u["coordinator"],
                person=person,
                job_function=self.jf["HOUSE"],
                valid_from=timezone.now() - dt.timedelta(days=1),
            )
            plant.complete(person, self.requirements["HOUSE"])
            quality.execution_record(
                actor=user, person=person, batch=f"LOT-{name}", documents=[house]
            )
            deviation = quality.deviation_create(
                actor=user,
                number=f"DEV-2026-{800 + k}",
                site=plant.site,
                occurred_at=occurred,
                description="Seen on the line",
                people=[person],
                documents=[house],
            )
            self.own[name] = {"person": person, "deviation": deviation}
        # The trainer trained the in-house other person on the job.
        ttt = plant.requirement("TTT", method=Method.EXTERNAL)
        training.record_external(
            actor=u["trainer"],
            person=self.own["trainer"]["person"],
            requirement=ttt,
            completed_at=timezone.now() - dt.timedelta(days=30),
            evidence_file=ContentFile(b"certificate", name="ttt.pdf"),
            credentials=creds(u["trainer"]),
        )
        self.ojt = plant.requirement(
            "RQ-OJT", method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Check"
        )
        trainee = self.people["HOUSE"]
        self.trained = training.record_on_the_job(
            actor=u["trainer"],
            trainee=trainee,
            requirement=self.ojt,
            attested_at=timezone.now(),
            trainee_credentials=creds(trainee.user),
            trainer_credentials=creds(u["trainer"]),
        )
        self.employee_record = TrainingRecord.objects.get(person=self.own["employee"]["person"])
        self.employee_assignment = Assignment.objects.filter(
            person=self.own["employee"]["person"]
        ).first()

    def client_of(self, persona):
        return RESTRICTED.get(persona)

    @cached_property
    def _kwargs_by_name(self) -> dict[str, dict]:
        """The URLs whose arguments are one particular object: read once per world (the
        walk asks for them on each of its ~340 URLs, for each persona)."""
        house = self.documents["HOUSE"]
        return {
            "api:person": {"employee_number": self.people["HOUSE"].employee_number},
            "api:person-deactivate": {"employee_number": self.people["HOUSE"].employee_number},
            "web:employee_assignment": {"pk": self.employee_assignment.pk},
            "web:employee_assignment_document": {"pk": self.employee_assignment.pk},
            "web:employee_record": {"pk": self.employee_record.pk},
            "web:document_version": {"pk": house.versions.first().pk},
            "web:document_version_file": {"pk": house.versions.first().pk},
            "web:document_version_submit": {"pk": house.versions.first().pk},
            "web:document_version_review": {"pk": house.versions.first().pk},
            "web:document_version_approve": {"pk": house.versions.first().pk},
            "web:document_version_withdraw": {"pk": house.versions.first().pk},
            "web:coordinator_matrix_end": {"pk": self.jf["HOUSE"].matrix_entries.first().pk},
            "web:coordinator_person": {"pk": self.people["HOUSE"].pk},
            "web:inspector_transcript": {"pk": self.people["HOUSE"].pk},
            "web:quality_capa_action_new": {"pk": self.capas["HOUSE"].pk},
            "web:quality_capa_training_new": {"pk": self.capas["HOUSE"].pk},
            "web:quality_capa_qa_review": {"pk": self.capas["HOUSE"].pk},
            "web:quality_cc_approve": {"pk": self.change_controls["HOUSE"].pk},
            "web:quality_cc_link": {"pk": self.change_controls["HOUSE"].pk},
            "web:quality_batch": {"batch": self.batches["HOUSE"]},
        }

    def sample_kwargs(self, view_name: str, params: dict, kind: str | None):
        """Arguments naming an in-house object (or the employee's own) for a URL."""
        house = self.documents["HOUSE"]
        if view_name in self._kwargs_by_name:
            return self._kwargs_by_name[view_name]
        kwargs = {}
        converters = params
        for param in params:
            if param == "kind":
                kwargs["kind"] = kind
            elif param == "number":
                kwargs["number"] = house.number
            elif param == "code":
                kwargs["code"] = self.jf["HOUSE"].code if "job-function" in view_name else "NONE"
            elif param == "employee_number":
                kwargs["employee_number"] = self.people["HOUSE"].employee_number
            elif param == "pk" and kind is not None:
                objects = {
                    "capas": self.capas,
                    "deviations": self.deviations,
                    "change-controls": self.change_controls,
                }
                kwargs["pk"] = objects[kind]["HOUSE"].pk
            elif param == "pk" and view_name.startswith(("web:admin_user", "api:user-")):
                kwargs["pk"] = self.users["employee"].pk
            elif param == "employee_number":
                kwargs[param] = self.people["HOUSE"].employee_number
            else:
                # An object that does not exist: the rule still decides 403 or not.
                kwargs[param] = MISSING if converters[param] == "int" else "NO-SUCH-THING"
        return kwargs


@pytest.fixture(scope="module")
def module_key(tmp_path_factory):
    """One audit signing key for the module's plant and every test on it: the trail
    the plant starts is continued by each test (A6 keys live outside the database)."""
    return tmp_path_factory.mktemp("access-policy-key") / "checkpoint-ed25519.pem"


@pytest.fixture(autouse=True)
def _the_modules_key(settings, module_key):
    settings.QUALIFY_SIGNING_KEY = module_key


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_key):
    with rolled_back(django_db_blocker, QUALIFY_SIGNING_KEY=module_key):
        yield World()


def _client(world, persona, api: bool):
    client = APIClient() if api else PageClient()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.slow
@pytest.mark.requirement("P19")
@pytest.mark.parametrize("persona", EVERYONE)
def test_every_url_answers_each_persona_as_its_rule_says(db, world, persona):
    """GET and POST on every URL: allowed or refused exactly as declared, and every page
    answered, whatever its status, with the security headers (P19;
    tests/web/headers.py says which)."""
    wrong = []
    user = world.users.get(persona)
    clients = {api: _client(world, persona, api) for api in (False, True)}
    for _route, name, params in PATTERNS:
        kinds = ["capas", "deviations", "change-controls"] if "kind" in params else [None]
        for kind in kinds:
            kwargs = world.sample_kwargs(name, params, kind)
            url = reverse(name, kwargs=kwargs)
            rule = policy.rule_for(name, kwargs)
            api = url.startswith("/api/")
            for method in ("GET", "POST"):
                client = clients[api]
                if user is not None and "_auth_user_id" not in client.session:
                    # A POST signed the persona out (logout, password change): sign in
                    # again, as a fresh client per request did, only when needed.
                    client = clients[api] = _client(world, persona, api)
                response = getattr(client, method.lower())(url)
                status = response.status_code
                if rule.public:
                    ok = status not in (401, 403, 500)
                    expected = "open to all"
                elif rule.token:
                    # Its own token is the credential (the cmi5 auth token): without
                    # it everyone, signed in or not, is refused or told to use POST.
                    ok = status in (400, 401, 404, 405)
                    expected = "refused without its token"
                elif persona == "anonymous":
                    ok = status == 401 if api else _is_login_redirect(response)
                    expected = "401" if api else "login"
                elif policy.may(user, rule, method):
                    ok = status not in (401, 403, 500) and not _is_login_redirect(response)
                    expected = "allowed"
                else:
                    ok = status == 403
                    expected = "403"
                if not ok:
                    wrong.append(f"{method} {url}: {status}, policy says {expected}")
                if is_page(url, method):
                    try:
                        assert_page_headers(f"{persona} {method} {url}", response)
                    except AssertionError as problem:
                        wrong.append(f"{method} {url}: security headers: {problem}")
    assert wrong == []


# --- Reach: own, trainees, clients, in-house ---------------------------------------


def _api_set(world, persona, url, field):
    response = _client(world, persona, True).get(url, {"page_size": 1000})
    if response.status_code == 403:
        return None
    assert response.status_code == 200, (url, response.status_code)
    return {str(row[field]) for row in response.json()["results"]}


def _expected(world, persona, rule, rows):
    """rows: (value, side, owner persona or None, trainer persona or None). The set
    the persona reaches under the rule, or None when refused."""
    user = world.users[persona]
    level = policy.reach(user, rule)
    if level is None:
        return None
    side = world.client_of(persona)
    seen = set()
    for value, row_side, owner, trainer in rows:
        if side is not None and row_side != side:
            continue
        if (
            level == policy.ALL
            or owner == persona
            or (level == policy.TRAINEES and trainer == persona)
        ):
            seen.add(value)
    return seen


def _record_rows(world):
    owners = {o["person"].pk: name for name, o in world.own.items()}
    rows = []
    for record in TrainingRecord.objects.select_related("requirement__client", "trainer__user"):
        client = record.requirement.client
        side = client.code if client else "HOUSE"
        trainer = next(
            (
                n
                for n, u in world.users.items()
                if record.trainer and record.trainer.user_id == u.pk
            ),
            None,
        )
        rows.append((str(record.pk), side, owners.get(record.person_id), trainer))
    return rows


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_training_records_reach_as_declared(db, world, persona):
    """An employee reads only their own records, a trainer also those they trained
    (not all of them), a restricted user only their client's, on the API."""
    seen = _api_set(world, persona, "/api/v1/records/", "id")
    assert seen == _expected(world, persona, policy.RECORDS, _record_rows(world))


def test_a_trainer_reads_their_own_and_their_trainees_records_only(db, world):
    seen = _api_set(world, "trainer", "/api/v1/records/", "id")
    everyone = {str(pk) for pk in TrainingRecord.objects.values_list("pk", flat=True)}
    assert str(world.trained.pk) in seen
    mine = TrainingRecord.objects.filter(person=world.own["trainer"]["person"])
    assert mine.count() == 2  # the in-house procedure and the trainer's certificate
    assert seen == {str(world.trained.pk), *(str(r.pk) for r in mine)}
    assert len(everyone) > len(seen)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_executions_reach_as_declared(db, world, persona):
    """An operator reads only their own executions through the API, never another
    person's; QA and the auditor all within their clients."""
    rows = [(world.batches[s], s, None, None) for s in SIDES]
    rows += [(f"LOT-{name}", "HOUSE", name, None) for name in world.own]
    seen = _api_set(world, persona, "/api/v1/executions/", "batch")
    assert seen == _expected(world, persona, policy.EXECUTIONS, rows)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_deviations_reach_as_declared(db, world, persona):
    """An operator reads only the deviations they reported, on the API and the page;
    another's answers 404 (they may not know it exists)."""
    rows = [(world.deviations[s].number, s, None, None) for s in SIDES]
    rows += [(o["deviation"].number, "HOUSE", name, None) for name, o in world.own.items()]
    expected = _expected(world, persona, policy.DEVIATIONS, rows)
    assert _api_set(world, persona, "/api/v1/quality/deviations/", "number") == expected
    pages = _client(world, persona, False)
    for number, *_ in rows:
        from qualify.quality.models import Deviation

        pk = Deviation.objects.get(number=number).pk
        status = pages.get(reverse("web:quality_detail", args=["deviations", pk])).status_code
        if expected is None:
            assert status == 403, (persona, number, status)
        else:
            assert status == (200 if number in expected else 404), (persona, number, status)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_qualification_answers_reach_as_declared(db, world, persona):
    """Anyone who trains may ask about themselves; a trainer about their trainees;
    QA, coordinators and auditors about anyone of their clients; nobody else's
    answer is given."""
    subjects = [
        (world.people[s].employee_number, s, None, "trainer" if s == "HOUSE" else None)
        for s in SIDES
    ]
    subjects += [
        (o["person"].employee_number, "HOUSE", name, None) for name, o in world.own.items()
    ]
    expected = _expected(world, persona, policy.QUALIFICATIONS, subjects)
    client = _client(world, persona, True)
    for number, side, *_ in subjects:
        document = world.documents[side].number
        response = client.get(
            "/api/v1/qualifications/check", {"person": number, "document": document}
        )
        if expected is None:
            assert response.status_code == 403, (persona, number)
        elif number in expected and (world.client_of(persona) in (None, side)):
            assert response.status_code == 200, (persona, number, response.status_code)
        else:
            assert response.status_code in (400, 404), (persona, number, response.status_code)
            assert "qualified" not in response.json()


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_assignments_reach_as_declared(db, world, persona):
    owners = {o["person"].pk: name for name, o in world.own.items()}
    rows = []
    for a in Assignment.objects.select_related("requirement__client"):
        client = a.requirement.client
        rows.append((str(a.pk), client.code if client else "HOUSE", owners.get(a.person_id), None))
    seen = _api_set(world, persona, "/api/v1/assignments/", "id")
    assert seen == _expected(world, persona, policy.ASSIGNMENTS, rows)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_documents_by_client_on_pages_and_api(db, world, persona):
    """A restricted user reaches their client's document only; the others 404."""
    rule = policy.DOCUMENTS
    api, pages = _client(world, persona, True), _client(world, persona, False)
    for side in SIDES:
        number = world.documents[side].number
        a = api.get(f"/api/v1/documents/{number}/").status_code
        p = pages.get(reverse("web:document", args=[number])).status_code
        if policy.reach(world.users[persona], rule) is None:
            assert (a, p) == (403, 403)
        elif world.client_of(persona) in (None, side):
            assert (a, p) == (200, 200), (persona, side)
        else:
            assert (a, p) == (404, 404), (persona, side)


def test_an_employee_reads_their_own_record_page_not_anothers(db, world):
    pages = _client(world, "employee", False)
    assert (
        pages.get(reverse("web:employee_record", args=[world.employee_record.pk])).status_code
        == 200
    )
    other = TrainingRecord.objects.filter(person=world.people["HOUSE"]).first()
    assert pages.get(reverse("web:employee_record", args=[other.pk])).status_code == 404


# --- A5: a refused write is on the record -------------------------------------------


@pytest.mark.requirement("A5")
def test_a_refused_write_on_a_page_is_an_audit_event(db, world):
    before = AuditEvent.objects.filter(action="access.denied").count()
    url = reverse("web:quality_capa_new")
    response = _client(world, "employee", False).post(url, {"problem_statement": "x"})
    assert response.status_code == 403
    events = AuditEvent.objects.filter(action="access.denied").order_by("-seq")
    assert events.count() == before + 1
    event = events.first()
    assert event.actor_id == world.users["employee"].pk
    assert event.data["detail"]["path"] == url
    assert event.data["detail"]["method"] == "POST"
    assert "CAPA" in event.data["detail"]["why"]


@pytest.mark.requirement("A5")
def test_a_refused_write_on_the_api_is_an_audit_event(db, world):
    before = AuditEvent.objects.filter(action="access.denied").count()
    response = _client(world, "auditor", True).post("/api/v1/people/", {}, format="json")
    assert response.status_code == 403
    event = AuditEvent.objects.filter(action="access.denied").order_by("-seq").first()
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 1
    assert event.actor_id == world.users["auditor"].pk
    assert (event.data["detail"]["path"], event.data["detail"]["method"]) == (
        "/api/v1/people/",
        "POST",
    )
    assert event.data["detail"]["why"]


@pytest.mark.requirement("A5")
def test_a_refused_read_is_not_audited(db, world):
    before = AuditEvent.objects.count()
    assert _client(world, "employee", False).get(reverse("web:quality_capa_new")).status_code == 403
    assert _client(world, "employee", True).get("/api/v1/people/").status_code == 403
    assert AuditEvent.objects.count() == before
