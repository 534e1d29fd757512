"""Employee pages: my training, reading and signing an assignment, records, qualifications."""

import pytest
from django.urls import reverse

from qualify.org import services as org
from qualify.signatures.models import Signature
from qualify.training.models import AssignmentStatus, TrainingRecord
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("G7", "T3")
def test_my_training_lists_open_assignments_with_reason_and_zone(client, employee, reading):
    _operator, _document, _requirement, assignment = reading
    client.force_login(employee)
    response = client.get(reverse("web:employee_training"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "RU-SOP-014" in page
    assert (assignment.reason_text or assignment.get_reason_display()) in page
    assert "Times are in UTC." in page  # T3: the site's zone is named, once
    assert "UTC (UTC)" not in page
    assert reverse("web:employee_assignment", args=[assignment.pk]) in page


@pytest.mark.requirement("S1")
def test_assignment_shows_the_version_text_and_the_meaning_in_words(client, employee, reading):
    _operator, _document, _requirement, assignment = reading
    client.force_login(employee)
    page = client.get(reverse("web:employee_assignment", args=[assignment.pk])).content.decode()
    assert "SOP-014 revision 1" in page  # content_text of the exact version
    assert "Revision 1" in page  # its change summary
    assert "By signing you confirm you have read and understood" in page
    assert 'name="username"' in page  # first signing in this session asks for the user id
    assert 'name="password"' in page


@pytest.mark.requirement("S1", "R1")
def test_signing_records_and_shows_the_manifestation(client, employee, reading):
    operator, _document, requirement, assignment = reading
    client.force_login(employee)
    url = reverse("web:employee_assignment", args=[assignment.pk])
    response = client.post(url, {"username": employee.username, "password": PASSWORD})
    record = TrainingRecord.objects.get(person=operator, requirement=requirement)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:employee_record", args=[record.pk])
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    signature = Signature.objects.get(
        object_type="training.trainingrecord", object_id=str(record.pk)
    )
    page = client.get(response["Location"]).content.decode()
    assert signature.manifestation in page
    records = client.get(reverse("web:employee_records")).content.decode()
    assert signature.manifestation in records
    training = client.get(reverse("web:employee_training")).content.decode()
    assert url not in training


@pytest.mark.requirement("S1", "U1")
def test_a_wrong_password_is_refused_clearly_and_counts(client, employee, reading):
    operator, _document, _requirement, assignment = reading
    client.force_login(employee)
    url = reverse("web:employee_assignment", args=[assignment.pk])
    response = client.post(url, {"username": employee.username, "password": "wrong"})
    assert response.status_code == 200
    assert "The password is not correct." in response.content.decode()
    employee.refresh_from_db()
    assert employee.failed_login_count == 1
    assert not TrainingRecord.objects.filter(person=operator).exists()


@pytest.mark.requirement("S1")
def test_the_htmx_dialog_returns_only_the_fragment(client, employee, reading):
    _operator, _document, _requirement, assignment = reading
    client.force_login(employee)
    url = reverse("web:employee_assignment", args=[assignment.pk])
    response = client.post(url, {"password": PASSWORD}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="sign-dialog"')
    assert "Enter your user id" in page or "This field is required" in page


@pytest.mark.requirement("S1")
def test_later_signing_in_the_session_asks_only_for_the_password(client, employee, plant, reading):
    operator, _document, _requirement, assignment = reading
    other = plant.requirement("RU-SOP-015", document=plant.document("SOP-015"))
    plant.matrix(other)
    client.force_login(employee)
    client.post(
        reverse("web:employee_assignment", args=[assignment.pk]),
        {"username": employee.username, "password": PASSWORD},
    )
    second = operator.assignments.get(requirement=other)
    page = client.get(reverse("web:employee_assignment", args=[second.pk])).content.decode()
    assert 'name="username"' not in page
    assert 'name="password"' in page


@pytest.mark.requirement("Q4", "Q5")
def test_my_qualifications_answers_from_the_engine(client, employee, plant, reading):
    operator, _document, _requirement, assignment = reading
    client.force_login(employee)
    page = client.get(reverse("web:employee_qualifications")).content.decode()
    assert "RU-SOP-014" in page
    assert "not qualified" in page
    assert "never trained" in page
    plant.read(operator, assignment=assignment)
    page = client.get(reverse("web:employee_qualifications")).content.decode()
    assert "badge good" in page
    assert "Signed by" in page


@pytest.mark.requirement("P13", "U2")
def test_administrator_and_auditor_get_403(client, admin, auditor):
    for user in (admin, auditor):
        client.force_login(user)
        for name in (
            "web:employee_training",
            "web:employee_records",
            "web:employee_qualifications",
        ):
            assert client.get(reverse(name)).status_code == 403


@pytest.mark.requirement("P13", "U2")
def test_someone_elses_or_another_clients_assignment_is_404(client, employee, plant, reading):
    _operator, _document, requirement, assignment = reading
    colleague = plant.person("Colleague", job_function=plant.operators)
    theirs = colleague.assignments.get(requirement=requirement)
    client.force_login(employee)
    assert client.get(reverse("web:employee_assignment", args=[theirs.pk])).status_code == 404
    # Restricted to a client, the employee no longer sees in-house training (U2).
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    org.client_access_grant(actor=plant.admin, user=employee, client=novexa, reason="Client work")
    assert client.get(reverse("web:employee_assignment", args=[assignment.pk])).status_code == 404
    assert "RU-SOP-014" not in client.get(reverse("web:employee_training")).content.decode()


@pytest.mark.requirement("U2")
def test_home_routes_each_role_to_its_start_page(client, employee, admin, reading):
    client.force_login(employee)
    assert client.get("/")["Location"] == reverse("web:employee_training")
    client.force_login(admin)
    assert client.get("/")["Location"] == reverse("web:admin_users")
