"""Trainer pages: a classroom session signed by each attendee and the trainer; on-the-job."""

import pytest
from django.urls import reverse

from qualify.org import services as org
from qualify.signatures.models import Signature
from qualify.training.models import Method, TrainingRecord
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(plant):
    trainer, certificate = plant.qualified_trainer()
    course = plant.requirement(
        "GMP-BASICS", method=Method.CLASSROOM, trainer_requirement=certificate
    )
    practical = plant.requirement(
        "OJT-FILL",
        method=Method.ON_THE_JOB,
        trainer_requirement=certificate,
        checklist="Set-up verified\nOperation demonstrated",
    )
    a, b = plant.person("Ann"), plant.person("Bob")
    return trainer, course, practical, a, b


def _attendee(person, password=PASSWORD):
    return {f"a{person.pk}-username": person.user.username, f"a{person.pk}-password": password}


@pytest.mark.requirement("S1", "S2", "T1", "R1")
def test_classroom_each_attendee_signs_and_the_trainer_signs(client, trainer, session):
    _, course, _, a, b = session
    client.force_login(trainer)
    url = reverse("web:trainer_classroom")
    page = client.get(url, {"requirement": course.pk, "attendee": [a.pk, b.pk]}).content.decode()
    assert a.full_name in page
    assert f'name="a{a.pk}-password"' in page
    data = {
        "requirement": course.pk,
        "attendee": [a.pk, b.pk],
        "present": [a.pk, b.pk],
        "attested_at": "2020-01-01T09:00",
        "notes": "",
        "trainer-username": trainer.username,
        "trainer-password": PASSWORD,
        **_attendee(a),
        **_attendee(b, "wrong"),
    }
    data["attested_at"] = page.split('name="attested_at" value="')[1][:16]
    refused = client.post(url, data).content.decode()
    # All or nothing (issue 9): Bob's wrong password records no one, and the page
    # says so first, with no "recorded" banner.
    assert not TrainingRecord.objects.filter(requirement=course).exists()
    assert "The password is not correct." in refused  # Bob's refusal, shown on his form
    assert "Nothing was recorded" in refused
    assert "Recorded" not in refused
    assert refused.index("Nothing was recorded") < refused.index("The password is not correct.")
    assert f'name="a{a.pk}-password"' in refused  # Ann signs again with the others

    data.update(_attendee(b))
    response = client.post(url, data).content.decode()
    record = TrainingRecord.objects.get(person=a, requirement=course)
    assert TrainingRecord.objects.filter(person=b, requirement=course).count() == 1
    for signature in Signature.objects.filter(
        object_type="training.trainingrecord", object_id=str(record.pk)
    ):
        assert signature.manifestation in response
    assert f'name="a{b.pk}-password"' not in response
    assert f'name="a{a.pk}-password"' not in response


@pytest.mark.requirement("Q8")
def test_on_the_job_shows_the_checklist_and_needs_every_item(client, trainer, session):
    _, _, practical, a, _ = session
    client.force_login(trainer)
    url = reverse("web:trainer_ojt")
    page = client.get(url, {"requirement": practical.pk, "trainee": a.pk}).content.decode()
    assert "Set-up verified" in page
    assert "Operation demonstrated" in page
    when = page.split('name="attested_at" value="')[1][:16]
    base = {
        "requirement": practical.pk,
        "trainee": a.pk,
        "attested_at": when,
        "trainee-username": a.user.username,
        "trainee-password": PASSWORD,
        "trainer-username": trainer.username,
        "trainer-password": PASSWORD,
    }
    refused = client.post(url, {**base, "item_0": "on"}).content.decode()
    assert "checklist was not met" in refused
    done = client.post(url, {**base, "item_0": "on", "item_1": "on"}).content.decode()
    record = TrainingRecord.objects.get(person=a, requirement=practical)
    assert record.evidence == "demonstration"
    assert "Signed by" in done


@pytest.mark.requirement("P13", "U2")
def test_employee_gets_403_and_other_clients_requirement_is_404(
    client, employee, trainer, plant, session
):
    client.force_login(employee)
    assert client.get(reverse("web:trainer_home")).status_code == 403
    assert client.get(reverse("web:trainer_classroom")).status_code == 403
    _, course, _, _, _ = session
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    org.client_access_grant(actor=plant.admin, user=trainer, client=novexa, reason="Client work")
    client.force_login(trainer)
    assert (
        client.get(reverse("web:trainer_classroom"), {"requirement": course.pk}).status_code == 404
    )


@pytest.mark.requirement("U2")
def test_people_search_fragment(client, trainer, session):
    _, course, _, a, _ = session
    client.force_login(trainer)
    response = client.get(
        reverse("web:trainer_people"),
        {"q": "Ann", "requirement": course.pk},
        headers={"HX-Request": "true"},
    )
    assert a.full_name in response.content.decode()
