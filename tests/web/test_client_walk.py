"""U2 on every interface: a user restricted to client A (or B) sees on every list page
and every list endpoint the same objects (those of their client, never another
client's nor in-house ones), and every detail page or endpoint of another client's or
an in-house object answers 404 (P10, P13)."""

import datetime as dt
import inspect

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client as PageClient
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qualify.accounts import roles
from qualify.documents import services as documents
from qualify.org import services as org
from qualify.quality import services as quality
from qualify.quality.models import Capa, ChangeControl, Deviation, Execution
from qualify.training.models import TrainingRecord
from tests.personas import make_user
from tests.quality.plant import Plant

pytestmark = pytest.mark.django_db

SIDES = ("ALPHA", "BRAVO", "HOUSE")  # client A, client B, in-house


def grant(admin, user, client):
    kwargs = {"actor": admin, "user": user, "client": client}
    if "reason" in inspect.signature(org.client_access_grant).parameters:
        kwargs["reason"] = "Works for this client only"
    org.client_access_grant(**kwargs)


class ClientPlant:
    """Per side: a job function, an effective document, a requirement on it in the
    matrix, a person holding the job function and trained, an execution on a batch,
    a deviation, a CAPA raised from it and a change control. A shared person holds
    all three job functions and is trained on all three requirements."""

    def __init__(self, plant: Plant, qa):
        self.plant = plant
        self.clients = {
            "ALPHA": org.client_create(actor=plant.admin, code="ALPHA", name="Alpha Pharma"),
            "BRAVO": org.client_create(actor=plant.admin, code="BRAVO", name="Bravo Bio"),
            "HOUSE": None,
        }
        self.job_functions, self.documents, self.requirements = {}, {}, {}
        self.people, self.batches = {}, {}
        self.deviations, self.capas, self.change_controls = {}, {}, {}
        occurred = timezone.now() - dt.timedelta(hours=2)
        for n, side in enumerate(SIDES, 1):
            client = self.clients[side]
            jf = org.job_function_create(
                actor=plant.coordinator,
                code=f"JF-{side}",
                name=f"Filler {side.title()}",
                site=plant.site,
                client=client,
            )
            document = documents.document_create(
                actor=plant.doc_controller,
                number=f"DOC-{side}",
                title=f"Procedure {side.title()}",
                doc_type="sop",
                owner=plant.doc_controller,
                site=plant.site,
                client=client,
            )
            plant.approve(plant.revise(document, "1"))
            requirement = plant.requirement(f"RQ-{side}", document=document)
            plant.matrix(requirement, jf)
            person = plant.person(f"Person {side.title()}", job_function=jf)
            plant.complete(person, requirement)
            self.job_functions[side], self.documents[side] = jf, document
            self.requirements[side], self.people[side] = requirement, person
            batch = f"LOT-{side}"
            quality.execution_record(
                actor=qa, person=person, batch=batch, documents=[document], step="Fill"
            )
            self.batches[side] = batch
            deviation = quality.deviation_create(
                actor=qa,
                number=f"DEV-2026-{900 + n}",
                site=plant.site,
                occurred_at=occurred,
                description=f"Deviation {side}",
                people=[person],
                documents=[document],
            )
            self.deviations[side] = deviation
            self.capas[side] = quality.capa_create(
                actor=qa,
                number=f"CAPA-2026-{900 + n}",
                source="deviation",
                deviation=deviation,
                problem_statement=f"Problem {side}",
                root_cause_category="training",
            )
            self.change_controls[side] = quality.change_control_create(
                actor=qa,
                number=f"CC-2026-{900 + n}",
                title=f"Change {side}",
                description="A change",
                reason="Because",
                risk="low",
                planned_effective_date=dt.date.today() + dt.timedelta(days=30),
                affected_documents=[document],
            )
        # Someone who works for everyone: job history and transcript span all sides.
        self.shared = plant.person("Sam Shared", job_function=self.job_functions["ALPHA"])
        for side in ("BRAVO", "HOUSE"):
            org.job_assignment_start(
                actor=plant.coordinator,
                person=self.shared,
                job_function=self.job_functions[side],
                valid_from=timezone.now() - dt.timedelta(days=1),
            )
        for side in SIDES:
            plant.complete(self.shared, self.requirements[side])

    def viewer(self, side: str, *role_names: str):
        user = make_user(f"{side.lower()}_{'_'.join(role_names) or 'user'}", *role_names)
        grant(self.plant.admin, user, self.clients[side])
        return user


@pytest.fixture
def world(plant_factory, qa):
    return ClientPlant(plant_factory(gate_policy="deviation"), qa)


@pytest.fixture
def plant_factory(admin, coordinator, doc_controller, qa):
    def make(**kw):
        return Plant(
            admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa, **kw
        )

    return make


# Every role that reads the lists, so each page and endpoint answers for someone.
READERS = (roles.AUDITOR, roles.QA_APPROVER, roles.COORDINATOR)


def seen_on_page(client, url, labels) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    return {label for label in labels if label in html}


def seen_in_api(client, url, field) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return {str(row[field]) for row in response.json()["results"]}


def interfaces(world):
    """(kind, page url, api url, api field, label per side) for each kind of object."""
    people = {side: p.employee_number for side, p in world.people.items()}
    return [
        (
            "CAPAs",
            reverse("web:quality_list", args=["capas"]),
            "/api/v1/quality/capas/",
            "number",
            {s: c.number for s, c in world.capas.items()},
        ),
        (
            "deviations",
            reverse("web:quality_list", args=["deviations"]),
            "/api/v1/quality/deviations/",
            "number",
            {s: d.number for s, d in world.deviations.items()},
        ),
        (
            "change controls",
            reverse("web:quality_list", args=["change-controls"]),
            "/api/v1/quality/change-controls/",
            "number",
            {s: c.number for s, c in world.change_controls.items()},
        ),
        (
            "batches and executions",
            reverse("web:quality_batches"),
            "/api/v1/executions/",
            "batch",
            dict(world.batches),
        ),
        (
            "people",
            reverse("web:coordinator_people"),
            "/api/v1/people/",
            "employee_number",
            people,
        ),
        (
            "job functions",
            reverse("web:coordinator_job_functions"),
            "/api/v1/job-functions/",
            "code",
            {s: j.code for s, j in world.job_functions.items()},
        ),
        (
            "requirements",
            reverse("web:coordinator_requirements"),
            "/api/v1/requirements/",
            "code",
            {s: r.code for s, r in world.requirements.items()},
        ),
        (
            "matrix",
            reverse("web:coordinator_matrix"),
            "/api/v1/matrix/",
            "requirement",
            {s: r.code for s, r in world.requirements.items()},
        ),
        (
            "assignments",
            reverse("web:coordinator_assignments"),
            "/api/v1/assignments/",
            "requirement",
            {s: r.code for s, r in world.requirements.items()},
        ),
        (
            "documents",
            reverse("web:documents"),
            "/api/v1/documents/",
            "number",
            {s: d.number for s, d in world.documents.items()},
        ),
        (
            "Sam's training records",
            reverse("web:inspector_transcript", args=[world.shared.pk]),
            f"/api/v1/records/?person={world.shared.employee_number}",
            "requirement",
            {s: r.code for s, r in world.requirements.items()},
        ),
    ]


@pytest.mark.requirement("U2", "P10", "P13")
@pytest.mark.parametrize("side", ["ALPHA", "BRAVO"])
def test_a_client_restricted_user_sees_the_same_set_on_every_list_page_and_endpoint(world, side):
    user = world.viewer(side, *READERS)
    pages, api = PageClient(), APIClient()
    pages.force_login(user)
    api.force_login(user)
    for kind, page_url, api_url, field, labels in interfaces(world):
        everything = set(labels.values())
        on_page = seen_on_page(pages, page_url, everything)
        in_api = seen_in_api(api, api_url, field) & everything
        assert on_page == in_api == {labels[side]}, (kind, on_page, in_api)


@pytest.mark.requirement("U2", "P13")
def test_an_unrestricted_user_sees_every_client_and_in_house(world, qa):
    pages = PageClient()
    pages.force_login(qa)
    html = pages.get(reverse("web:quality_list", args=["capas"])).content.decode()
    assert all(c.number in html for c in world.capas.values())
    assert "Alpha Pharma" in html
    assert "in-house" in html


def details(world, side):
    """Detail pages and endpoints of one side's objects."""
    person = world.people[side]
    return [
        reverse("web:quality_detail", args=["capas", world.capas[side].pk]),
        reverse("web:quality_detail", args=["deviations", world.deviations[side].pk]),
        reverse("web:quality_detail", args=["change-controls", world.change_controls[side].pk]),
        reverse("web:quality_batch", args=[world.batches[side]]),
        reverse("web:coordinator_person", args=[person.pk]),
        reverse("web:inspector_transcript", args=[person.pk]),
        reverse("web:document", args=[world.documents[side].number]),
        f"/api/v1/people/{person.employee_number}/",
        f"/api/v1/documents/{world.documents[side].number}/",
    ]


@pytest.mark.requirement("U2", "P10", "P13")
def test_another_clients_and_in_house_objects_answer_404_by_url(world):
    user = world.viewer("ALPHA", *READERS)
    client = PageClient()
    client.force_login(user)
    for url in details(world, "ALPHA"):
        assert client.get(url).status_code == 200, url
    for side in ("BRAVO", "HOUSE"):
        for url in details(world, side):
            assert client.get(url).status_code == 404, url


@pytest.mark.requirement("U2", "P10")
def test_the_api_records_list_shows_only_the_users_clients_records(world):
    user = world.viewer("ALPHA", roles.AUDITOR)
    api = APIClient()
    api.force_login(user)
    rows = api.get("/api/v1/records/?page_size=1000").json()["results"]
    expected = set(
        TrainingRecord.objects.filter(requirement=world.requirements["ALPHA"]).values_list(
            "pk", flat=True
        )
    )
    assert {row["id"] for row in rows} == expected
    assert len(expected) == 2  # the Alpha person's and Sam's


@pytest.mark.requirement("U2", "P13")
def test_the_coordinators_person_page_shows_only_the_users_clients_job_history(world):
    user = world.viewer("ALPHA", roles.COORDINATOR)
    client = PageClient()
    client.force_login(user)
    html = client.get(reverse("web:coordinator_person", args=[world.shared.pk])).content.decode()
    assert "JF-ALPHA" in html
    assert "JF-BRAVO" not in html
    assert "JF-HOUSE" not in html
    assert (
        client.get(reverse("web:coordinator_person", args=[world.people["HOUSE"].pk])).status_code
        == 404
    )


@pytest.mark.requirement("U2", "P13")
def test_the_compliance_dashboard_shows_only_the_users_clients_job_functions(world):
    user = world.viewer("ALPHA", roles.COORDINATOR)
    client = PageClient()
    client.force_login(user)
    html = client.get(reverse("web:coordinator_dashboard")).content.decode()
    assert "Filler Alpha" in html
    assert "Filler Bravo" not in html
    assert "Filler House" not in html


@pytest.mark.requirement("U2", "P13")
def test_a_client_restricted_qa_user_cannot_add_an_action_to_an_in_house_capa(world):
    user = world.viewer("ALPHA", roles.QA_APPROVER)
    client = PageClient()
    client.force_login(user)
    for side in ("HOUSE", "BRAVO"):
        capa = world.capas[side]
        for name in ("web:quality_capa_action_new", "web:quality_capa_training_new"):
            url = reverse(name, args=[capa.pk])
            assert client.get(url).status_code == 404
            response = client.post(
                url, {"kind": "corrective", "description": "x", "owner": user.pk}
            )
            assert response.status_code == 404
        with pytest.raises(PermissionDenied):
            quality.capa_action_add(
                actor=user,
                capa=capa,
                kind="corrective",
                description="Fix the filler",
                owner=user,
                due_at=timezone.now() + dt.timedelta(days=7),
            )
    assert not world.capas["HOUSE"].actions.exists()


@pytest.mark.requirement("U2")
def test_quality_records_carry_the_client_of_what_they_involve(world):
    alpha = world.clients["ALPHA"]
    assert world.deviations["ALPHA"].client == alpha
    assert world.capas["ALPHA"].client == alpha  # from its deviation
    assert world.change_controls["ALPHA"].client == alpha  # from its documents
    assert Execution.objects.get(batch="LOT-ALPHA").client == alpha
    assert world.capas["HOUSE"].client is None
    assert Execution.objects.get(batch="LOT-HOUSE").client is None


@pytest.mark.requirement("U2")
def test_a_record_of_two_clients_is_refused_and_nothing_is_written(world, qa):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="one client"):
        quality.change_control_create(
            actor=qa,
            number="CC-2026-990",
            title="Both",
            description="d",
            reason="r",
            risk="low",
            planned_effective_date=dt.date.today(),
            affected_documents=[world.documents["ALPHA"], world.documents["BRAVO"]],
        )
    assert not ChangeControl.objects.filter(number="CC-2026-990").exists()


@pytest.mark.requirement("U2")
def test_a_client_restricted_user_raises_records_of_their_client_only(world):
    user = world.viewer("ALPHA", roles.QA_APPROVER)
    capa = quality.capa_create(
        actor=user,
        number="CAPA-2026-990",
        source="other",
        problem_statement="Found on the Alpha line",
        root_cause_category="training",
    )
    assert capa.client == world.clients["ALPHA"]  # the only client they work for
    with pytest.raises(PermissionDenied):
        quality.capa_create(
            actor=user,
            number="CAPA-2026-991",
            source="other",
            problem_statement="Bravo's",
            root_cause_category="training",
            client=world.clients["BRAVO"],
        )
    with pytest.raises(PermissionDenied):
        quality.deviation_create(
            actor=user,
            number="DEV-2026-0990",
            site=world.plant.site,
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            description="On the Bravo line",
            documents=[world.documents["BRAVO"]],
        )
    with pytest.raises(PermissionDenied):
        quality.capa_close(actor=user, capa=world.capas["HOUSE"], credentials=None)
    assert not Capa.objects.filter(number="CAPA-2026-991").exists()
    assert Deviation.objects.filter(client=world.clients["ALPHA"]).count() == 1
