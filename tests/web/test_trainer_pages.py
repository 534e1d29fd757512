"""Trainer pages: the start page (classroom training is scheduled as a session); on-the-job."""

import pytest
from django.urls import NoReverseMatch, reverse

from qualify.org import services as org
from qualify.training.models import ClassSession, Method, TrainingRecord
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


@pytest.mark.requirement("P39", "P40")
def test_classroom_training_is_scheduled_as_a_session_never_signed_on_the_trainers_screen(
    client, trainer, session
):
    """A classroom training is held as a scheduled session whose attendees sign on the
    kiosk or their own device: the start page offers to schedule it, the scheduling
    form comes with it chosen, and no page takes attendees' passwords on the trainer's
    screen any more (the retired address is not found)."""
    _, course, _, a, _ = session
    client.force_login(trainer)
    home = client.get(reverse("web:trainer_home")).content.decode()
    schedule = f"{reverse('web:trainer_sessions')}?requirement={course.pk}"
    assert f'href="{schedule}"' in home
    assert "/trainer/classroom/" not in home
    form = client.get(schedule).content.decode()
    assert f'<option value="{course.pk}" selected>' in form
    assert client.get("/trainer/classroom/", {"requirement": course.pk}).status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("web:trainer_classroom")
    assert not TrainingRecord.objects.filter(person=a).exists()


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
    assert client.get(reverse("web:trainer_sessions")).status_code == 403
    _, course, _, _, _ = session
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    org.client_access_grant(actor=plant.admin, user=trainer, client=novexa, reason="Client work")
    client.force_login(trainer)
    # The course is outside the trainer's clients now: not offered, not schedulable.
    page = client.get(reverse("web:trainer_sessions"), {"requirement": course.pk})
    assert f'value="{course.pk}"' not in page.content.decode()
    refused = client.post(
        reverse("web:trainer_sessions"),
        {"requirement": course.pk, "room": "Room 1", "starts_at": "2030-01-01T09:00",
         "ends_at": "2030-01-01T11:00", "capacity": 5},
    )  # fmt: skip
    assert "Choose a classroom training." in refused.content.decode()
    assert not ClassSession.objects.filter(requirement=course).exists()


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
