"""Job functions, departments and document owners chosen through lookup fields
(issue 18, P174, P175): the matrix change, a person's change of job, a new person, a
job function and a new document take an id (a ticked match) or an exact key typed
without JavaScript, refuse an unknown key by name, and refuse a job function of another
client as if it did not exist (U2)."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.accounts import roles
from qualify.documents.models import Document
from qualify.org import services as org
from qualify.org.models import JobAssignment, JobFunction, Person
from qualify.training.models import MatrixEntry
from tests.personas import PASSWORD, make_user
from tests.web.pages_support import plant  # noqa: F401
from tests.web.test_client_walk import grant

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P174")]

UNKNOWN = "No active job function you may choose has the job function code {}."


def _job_change(person, job_function=None, typed=None) -> dict:
    data = {
        # The page reads the time in the site's zone (T3).
        "effective": timezone.localtime(
            timezone.now() - dt.timedelta(minutes=5), zoneinfo.ZoneInfo(person.site.time_zone)
        ).strftime("%Y-%m-%dT%H:%M"),
        "reason": "Moved to the new line",
    }
    if job_function is not None:
        data["job_function"] = job_function.pk
    if typed is not None:
        data["job_function__q"] = typed
    return data


def _holds(person) -> set[str]:
    return set(
        JobAssignment.objects.filter(person=person, valid_to__isnull=True).values_list(
            "job_function__code", flat=True
        )
    )


def test_a_new_job_is_named_by_its_ticked_id_or_its_typed_code(client, plant):  # noqa: F811
    lead = plant.job_function("LEAD", "Line lead")
    packer = plant.job_function("PACK", "Packer")
    person = plant.person("Ann")
    url = reverse("web:org_person_job", args=[person.pk])
    client.force_login(plant.coordinator)
    assert client.post(url, _job_change(person, job_function=lead)).status_code == 302
    # Letter case ignored; the typed code replaces a ticked row.
    by_code = client.post(url, _job_change(person, job_function=lead, typed="pack"))
    assert by_code.status_code == 302
    assert _holds(person) == {"LEAD", "PACK"}
    assert packer.pk in JobAssignment.objects.values_list("job_function", flat=True)


def test_an_unknown_or_retired_code_is_refused_by_name(client, plant):  # noqa: F811
    retired = plant.job_function("OLD", "Retired job")
    org.job_function_retire(actor=plant.coordinator, job_function=retired, reason="Gone")
    person = plant.person("Ann")
    url = reverse("web:org_person_job", args=[person.pk])
    client.force_login(plant.coordinator)
    for typed in ("NOPE", "old"):
        page = client.post(url, _job_change(person, typed=typed))
        assert page.status_code == 422
        assert page.context["form"].errors["job_function"] == [UNKNOWN.format(typed)]
        # The typed code stays in the box for correcting.
        assert f'value="{typed}"' in page.content.decode()
    assert _holds(person) == set()


@pytest.mark.requirement("U2")
def test_another_clients_job_function_is_refused_by_code_and_by_id(
    client,
    admin,
    plant,  # noqa: F811
):
    alpha = org.client_create(actor=admin, code="ALPHA", name="Alpha Pharma")
    bravo = org.client_create(actor=admin, code="BRAVO", name="Bravo Bio")
    ours = org.job_function_create(
        actor=plant.coordinator, code="JF-A", name="A", site=plant.site, client=alpha
    )
    theirs = org.job_function_create(
        actor=plant.coordinator, code="JF-B", name="B", site=plant.site, client=bravo
    )
    also_ours = org.job_function_create(
        actor=plant.coordinator, code="JF-A2", name="A2", site=plant.site, client=alpha
    )
    restricted = make_user("coord_alpha", roles.EMPLOYEE, roles.COORDINATOR)
    grant(admin, restricted, alpha)
    # A restricted coordinator sees the people who hold one of their clients' jobs.
    person = plant.person("Ann", job_function=ours)
    url = reverse("web:org_person_job", args=[person.pk])
    client.force_login(restricted)
    assert "JF-B" not in client.get(url).content.decode()
    by_code = client.post(url, _job_change(person, typed="JF-B"))
    assert by_code.status_code == 422
    assert by_code.context["form"].errors["job_function"] == [UNKNOWN.format("JF-B")]
    by_id = client.post(url, _job_change(person, job_function=theirs))
    assert by_id.status_code == 422
    assert by_id.context["form"].errors["job_function"]
    assert _holds(person) == {"JF-A"}
    assert client.post(url, _job_change(person, typed="jf-a2")).status_code == 302
    assert _holds(person) == {"JF-A", also_ours.code}
    # The search behind the field offers the same rows the field accepts.
    found = client.get(reverse("web:lookup", args=["job-functions"]), {"q": "JF-"})
    assert "JF-A" in found.content.decode()
    assert "JF-B" not in found.content.decode()


def test_the_matrix_change_names_its_job_function_by_code(client, plant, qa):  # noqa: F811
    requirement = plant.requirement("RU-SOP-008", document=plant.document("SOP-008"))
    client.force_login(plant.coordinator)
    data = {
        "job_function__q": plant.operators.code.lower(),
        "requirement__q": requirement.code,
        "window_days": "14",
        "reason": "Operators clear the line",
        "qa_username": qa.username,
        "qa_password": PASSWORD,
    }
    unknown = client.post(reverse("web:coordinator_matrix_add"), {**data, "job_function__q": "X"})
    assert unknown.status_code == 422
    assert unknown.context["form"].errors["job_function"] == [UNKNOWN.format("X")]
    assert not MatrixEntry.objects.exists()
    done = client.post(reverse("web:coordinator_matrix_add"), data)
    assert done.status_code == 302, done.content.decode()
    entry = MatrixEntry.objects.get()
    assert (entry.job_function, entry.requirement) == (plant.operators, requirement)


def test_a_departments_code_names_it_and_one_code_on_two_sites_is_refused(
    client,
    admin,
    plant,  # noqa: F811
):
    other_site = org.site_create(actor=admin, code="CRK", name="Cork", time_zone="Europe/Dublin")
    filling = org.department_create(actor=admin, site=plant.site, code="FILL", name="Filling")
    org.department_create(actor=admin, site=other_site, code="FILL", name="Filling Cork")
    org.department_create(actor=admin, site=plant.site, code="PACK", name="Packing")
    client.force_login(plant.coordinator)
    new = {"employee_number": "E900", "full_name": "Nina", "site": plant.site.pk}
    twice = client.post(reverse("web:org_person_new"), {**new, "department__q": "fill"})
    assert twice.status_code == 422
    assert twice.context["form"].errors["department"] == [
        "fill names more than one active department: search by name and pick one."
    ]
    assert (
        client.post(reverse("web:org_person_new"), {**new, "department": filling.pk}).status_code
        == 302
    )
    assert Person.objects.get(employee_number="E900").department == filling
    made = client.post(
        reverse("web:org_job_function_new"),
        {"code": "PACKER", "name": "Packer", "site": plant.site.pk, "department__q": "PACK"},
    )
    assert made.status_code == 302, made.content.decode()
    assert JobFunction.objects.get(code="PACKER").department.code == "PACK"


@pytest.mark.requirement("P175")
def test_a_new_documents_owner_is_named_by_user_id_and_must_control_documents(
    client, doc_controller, qa, coordinator
):
    from tests.web.test_new_document_pages import form_data

    client.force_login(doc_controller)
    page = client.get(reverse("web:document_new")).content.decode()
    # The controller is the owner unless someone else is named; no list of accounts.
    assert f'name="owner" value="{doc_controller.pk}" checked' in page
    assert qa.username not in page
    refused = client.post(
        reverse("web:document_new"), form_data(owner="", owner__q=coordinator.username)
    )
    assert refused.status_code == 422
    assert refused.context["form"].errors["owner"] == [
        "No document controller or QA approver you may choose has the user id "
        f"{coordinator.username}."
    ]
    by_id = client.post(reverse("web:document_new"), form_data(owner=coordinator.pk))
    assert by_id.status_code == 422
    made = client.post(
        reverse("web:document_new"), form_data(owner="", owner__q=qa.username.upper())
    )
    assert made.status_code == 302
    assert Document.objects.get().owner == qa
    found = client.get(reverse("web:lookup", args=["document-owners"]), {"q": qa.username})
    assert qa.username in found.content.decode()
