"""Coordinator pages: roles, the matrix grid, a matrix change signed by QA on the
coordinator's screen (G1), people, assignments with filters, the dashboard."""

import pytest
from django.urls import reverse

from qualify.org import services as org
from qualify.training.models import Assignment, AssignmentStatus, MatrixEntry
from tests.personas import PASSWORD
from tests.web.pages_support import plant  # noqa: F401


@pytest.mark.requirement("P13")
@pytest.mark.parametrize(
    "name",
    [
        "coordinator_matrix",
        "coordinator_matrix_add",
        "coordinator_people",
        "coordinator_assignments",
        "coordinator_dashboard",
    ],
)
def test_coordinator_pages_refuse_an_employee(client, employee, name):
    client.force_login(employee)
    assert client.get(reverse(f"web:{name}")).status_code == 403


@pytest.mark.requirement("G1", "S2", "P13")
def test_matrix_change_with_reason_and_qa_signature_assigns_the_holders(
    client,
    coordinator,
    qa,
    plant,  # noqa: F811
):
    holder = plant.person("Olivia", job_function=plant.operators)
    document = plant.document("SOP-008")
    requirement = plant.requirement("RU-SOP-008", document=document)
    client.force_login(coordinator)
    data = {
        "job_function": plant.operators.pk,
        "requirement": requirement.pk,
        "window_days": "14",
        "reason": "Operators clear the line",
        "qa_username": coordinator.username,
        "qa_password": PASSWORD,
    }
    # S2: the proposer cannot approve their own change.
    refused = client.post(reverse("web:coordinator_matrix_add"), data)
    assert refused.status_code == 422
    assert not MatrixEntry.objects.exists()
    wrong = client.post(
        reverse("web:coordinator_matrix_add"),
        {**data, "qa_username": qa.username, "qa_password": "nope"},
    )
    assert wrong.status_code == 422
    assert b"password is not correct" in wrong.content
    done = client.post(reverse("web:coordinator_matrix_add"), {**data, "qa_username": qa.username})
    assert done.status_code == 302
    assignment = Assignment.objects.get(person=holder, requirement=requirement)
    assert assignment.status == AssignmentStatus.OPEN
    grid = client.get(reverse("web:coordinator_matrix"))
    assert b"RU-SOP-008" in grid.content
    assert b"14d" in grid.content
    listed = client.get(
        reverse("web:coordinator_assignments"),
        {"job_function": plant.operators.pk, "status": "open"},
    )
    assert b"RU-SOP-008" in listed.content
    # Issue 18: the job function is chosen by search; its code typed in works as its id.
    typed = client.get(
        reverse("web:coordinator_assignments"),
        {"job_function__q": plant.operators.code, "status": "open"},
    )
    assert b"RU-SOP-008" in typed.content
    assert b'<select name="job_function"' not in typed.content
    nothing = client.get(reverse("web:coordinator_assignments"), {"overdue": "yes"})
    assert b"RU-SOP-008" not in nothing.content
    person = client.get(reverse("web:coordinator_person", args=[holder.pk]))
    assert b"Job history" in person.content
    assert b"OP" in person.content
    dashboard = client.get(reverse("web:coordinator_dashboard"))
    assert dashboard.status_code == 200
    assert b"<svg" in dashboard.content


@pytest.mark.requirement("P13", "U2")
def test_another_clients_job_function_and_people_answer_404(client, coordinator, plant):  # noqa: F811
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    other = org.client_create(actor=plant.admin, code="OTH", name="Other")
    jf = org.job_function_create(actor=coordinator, code="NVX-FILL", name="n", client=novexa)
    person = plant.person("Nina", job_function=jf)
    org.client_access_grant(actor=plant.admin, user=coordinator, client=other, reason="Client work")
    client.force_login(coordinator)
    assert client.get(reverse("web:coordinator_person", args=[person.pk])).status_code == 404
    assert b"NVX-FILL" not in client.get(reverse("web:coordinator_matrix_add")).content


def _end_form(qa_username, password=PASSWORD, **extra):
    return {
        "reason": "Operators no longer fill",
        "qa_username": qa_username,
        "qa_password": password,
        **extra,
    }


@pytest.mark.requirement("G6", "S2", "P13")
def test_the_matrix_end_page_shows_and_ends_an_entry_with_a_qa_signature(
    client,
    coordinator,
    qa,
    plant,  # noqa: F811
):
    holder = plant.person("Olivia", job_function=plant.operators)
    requirement = plant.requirement("RU-SOP-008", document=plant.document("SOP-008"))
    entry = plant.matrix(requirement)
    client.force_login(coordinator)
    url = reverse("web:coordinator_matrix_end", args=[entry.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "RU-SOP-008" in page.content.decode()
    assert "QA approver" in page.content.decode()
    # The proposer cannot approve, a wrong password changes nothing.
    own = client.post(url, _end_form(coordinator.username))
    assert own.status_code == 422
    assert "other than the proposer" in own.content.decode()
    wrong = client.post(url, _end_form(qa.username, "nope"))
    assert wrong.status_code == 422
    assert "password is not correct" in wrong.content.decode()
    entry.refresh_from_db()
    assert entry.valid_to is None
    done = client.post(url, _end_form(qa.username))
    assert done.status_code == 302
    entry.refresh_from_db()
    assert entry.valid_to is not None
    assignment = Assignment.objects.get(person=holder, requirement=requirement)
    assert assignment.status == AssignmentStatus.CANCELLED
    ended = client.get(url)
    assert ended.status_code == 200
    assert "already ended" in ended.content.decode()


@pytest.mark.requirement("P13")
def test_the_matrix_end_page_of_a_curriculum_entry_answers(
    client,
    coordinator,
    plant,  # noqa: F811
):
    from qualify.training import services as training

    requirement = plant.requirement("RU-SOP-009", document=plant.document("SOP-009"))
    curriculum = training.curriculum_create(
        actor=coordinator, code="CUR-FILL", title="Filling basics"
    )
    training.curriculum_item_add(actor=coordinator, curriculum=curriculum, requirement=requirement)
    entry = plant.matrix(curriculum=curriculum)
    client.force_login(coordinator)
    page = client.get(reverse("web:coordinator_matrix_end", args=[entry.pk]))
    assert page.status_code == 200
    assert "CUR-FILL" in page.content.decode()
