"""Learning paths (issue 14): curriculum prerequisites enforced (L4) and never
cyclic, the learner's path with progress, and a new hire's onboarding plan."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.training import paths
from qualify.training import services as training
from qualify.training.models import CurriculumItem, OnboardingPlan, TrainingRecord
from qualify.training.services.paths import (
    curriculum_item_set_prerequisite,
    onboarding_generate,
)
from tests.training.support import open_assignments

pytestmark = pytest.mark.django_db


def refusals(action):
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def induction(plant):
    """Operators hold curriculum IND: SOP-A, then SOP-B which needs SOP-A."""
    a_doc, b_doc = plant.document("SOP-A"), plant.document("SOP-B")
    a = plant.requirement("A-RU", document=a_doc)
    b = plant.requirement("B-RU", document=b_doc)
    curriculum = training.curriculum_create(actor=plant.coordinator, code="IND", title="Induction")
    training.curriculum_item_add(actor=plant.coordinator, curriculum=curriculum, requirement=a)
    training.curriculum_item_add(
        actor=plant.coordinator, curriculum=curriculum, requirement=b, prerequisite=a
    )
    plant.matrix(curriculum=curriculum, window_days=30)
    return curriculum, a, b


@pytest.mark.requirement("L4", "P43")
def test_an_item_cannot_be_signed_before_its_prerequisite_and_the_refusal_is_audited(
    plant, induction
):
    """L4: B needs A; signing B first is refused with the reason, audited, and no
    record is written; after A is signed, B can be signed."""
    _, a, b = induction
    person = plant.person(job_function=plant.operators)
    with pytest.raises(ValidationError) as refused:
        plant.read(person, b)
    assert "B-RU cannot be started before its prerequisite is complete and valid" in str(
        refused.value
    )
    assert "A-RU" in str(refused.value)
    assert not TrainingRecord.objects.filter(person=person, requirement=b).exists()
    (event,) = refusals("training.record.prerequisite_refused")
    assert event.data["detail"]["missing"] == ["A-RU"]
    plant.read(person, a)
    record = plant.read(person, b)
    assert record.requirement == b


@pytest.mark.requirement("L4", "P43")
def test_a_prerequisite_must_still_be_valid(plant):
    """L4: a prerequisite whose training expired no longer opens the next item."""
    a = plant.requirement("A-RU", document=plant.document("SOP-A"), recurrence_months=1)
    b_doc = plant.document("SOP-B")
    b = plant.requirement("B-RU", document=b_doc)
    curriculum = training.curriculum_create(actor=plant.coordinator, code="IND", title="Induction")
    training.curriculum_item_add(actor=plant.coordinator, curriculum=curriculum, requirement=a)
    training.curriculum_item_add(
        actor=plant.coordinator, curriculum=curriculum, requirement=b, prerequisite=a
    )
    plant.matrix(curriculum=curriculum)
    person = plant.person(job_function=plant.operators)
    assert [r.code for r in paths.missing_prerequisites(person, b)] == ["A-RU"]
    plant.read(person, a)
    assert paths.missing_prerequisites(person, b) == []
    later = timezone.now() + dt.timedelta(days=40)
    assert [r.code for r in paths.missing_prerequisites(person, b, at=later)] == ["A-RU"]


@pytest.mark.requirement("L4", "P43")
def test_prerequisites_bind_only_people_whose_curricula_have_them(plant, induction):
    _, _, b = induction
    outsider = plant.person()  # no job function: no curriculum
    assert paths.missing_prerequisites(outsider, b) == []


@pytest.mark.requirement("L4", "P43")
def test_a_prerequisite_cycle_across_curricula_is_refused_and_nothing_saved(plant, induction):
    """Bad input: IND says B needs A; a second curriculum saying A needs B would make a
    cycle; it is refused with the loop named, audited, and not saved."""
    _, a, b = induction
    other = training.curriculum_create(actor=plant.coordinator, code="ADV", title="Advanced")
    training.curriculum_item_add(actor=plant.coordinator, curriculum=other, requirement=b)
    with pytest.raises(ValidationError) as refused:
        training.curriculum_item_add(
            actor=plant.coordinator, curriculum=other, requirement=a, prerequisite=b
        )
    assert "cycle (A-RU needs B-RU needs A-RU)" in str(refused.value)
    assert not other.items.filter(requirement=a).exists()
    (event,) = refusals("training.curriculum.prerequisite_refused")
    assert event.data["detail"] == {
        "why": event.data["detail"]["why"],
        "requirement": "A-RU",
        "prerequisite": "B-RU",
    }


@pytest.mark.requirement("L4", "P43")
def test_setting_a_prerequisite_that_closes_a_cycle_is_refused(plant, induction):
    curriculum, a, b = induction
    item_a = CurriculumItem.objects.get(curriculum=curriculum, requirement=a)
    with pytest.raises(ValidationError, match="cycle"):
        curriculum_item_set_prerequisite(
            actor=plant.coordinator, item=item_a, prerequisite=b, reason="Reorder"
        )
    item_a.refresh_from_db()
    assert item_a.prerequisite is None
    with pytest.raises(ValidationError, match="cycle"):
        curriculum_item_set_prerequisite(
            actor=plant.coordinator, item=item_a, prerequisite=a, reason="Self"
        )
    assert len(refusals("training.curriculum.prerequisite_refused")) == 2
    item_b = CurriculumItem.objects.get(curriculum=curriculum, requirement=b)
    curriculum_item_set_prerequisite(
        actor=plant.coordinator, item=item_b, prerequisite=None, reason="No longer needed"
    )
    item_b.refresh_from_db()
    assert item_b.prerequisite is None


@pytest.mark.requirement("P44")
def test_the_learner_sees_the_path_in_prerequisite_order_with_progress(plant, induction):
    _, a, _b = induction
    person = plant.person(job_function=plant.operators)
    path = paths.learning_path(person)
    assert [(s.requirement.code, s.state) for s in path.steps] == [
        ("A-RU", paths.OPEN),
        ("B-RU", paths.LOCKED),
    ]
    assert path.steps[1].missing == [a]
    assert (path.done, path.total, path.percent) == (0, 2, 0)
    plant.read(person, a)
    path = paths.learning_path(person)
    assert [s.state for s in path.steps] == [paths.DONE, paths.OPEN]
    assert path.percent == 50


@pytest.mark.requirement("P44")
def test_onboarding_plan_puts_prerequisites_first_and_the_last_by_the_window(plant, induction):
    """P44: generated from the job functions held on the first day; A's target comes
    before B's, and B (the last level) is due at the end of the 30-day window."""
    _, a, _b = induction
    single = plant.requirement("C-RU", document=plant.document("SOP-C"))
    plant.matrix(single, window_days=10)
    starts = timezone.now()
    person = plant.person(job_function=plant.operators, since=starts - dt.timedelta(hours=1))
    plan = onboarding_generate(actor=plant.coordinator, person=person, starts_at=starts)
    steps = {s.requirement.code: s for s in plan.steps.all()}
    assert set(steps) == {"A-RU", "B-RU", "C-RU"}
    assert steps["A-RU"].target_at == starts + dt.timedelta(days=15)
    assert steps["B-RU"].target_at == starts + dt.timedelta(days=30)
    assert steps["B-RU"].prerequisite == a
    assert steps["C-RU"].target_at == starts + dt.timedelta(days=5)
    assert steps["A-RU"].position < steps["B-RU"].position
    assert OnboardingPlan.objects.get(pk=plan.pk).generated_by == plant.coordinator
    assert refusals("training.onboarding.generated")
    path = paths.learning_path(person)
    assert {s.requirement.code: s.target_at for s in path.steps}["B-RU"] == steps["B-RU"].target_at
    assert open_assignments(person=person)


@pytest.mark.requirement("P44")
def test_onboarding_someone_without_a_job_is_refused(plant, induction):
    person = plant.person()
    with pytest.raises(ValidationError, match="holds no job function"):
        onboarding_generate(actor=plant.coordinator, person=person, starts_at=timezone.now())
    assert not OnboardingPlan.objects.exists()


@pytest.mark.requirement("P44")
def test_only_a_coordinator_plans_onboarding(plant, induction, employee):
    from django.core.exceptions import PermissionDenied

    person = plant.person(job_function=plant.operators)
    with pytest.raises(PermissionDenied):
        onboarding_generate(actor=employee, person=person, starts_at=timezone.now())


@pytest.mark.requirement("P44")
def test_the_coordinator_makes_an_onboarding_plan_on_the_page(client, plant, induction):
    from django.urls import reverse

    person = plant.person(job_function=plant.operators)
    client.force_login(plant.coordinator)
    url = reverse("web:coordinator_onboarding", args=[person.pk])
    assert "No onboarding plan yet" in client.get(url).content.decode()
    response = client.post(url, {"starts_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "A-RU" in page
    assert "B-RU" in page
    assert "Progress: 0 of 2 done (0%)" in page
    assert OnboardingPlan.objects.get(person=person).steps.count() == 2
    bad = client.post(url, {"starts_on": "not a date"})
    assert bad.status_code == 422
    assert OnboardingPlan.objects.filter(person=person).count() == 1


@pytest.mark.requirement("P44", "L4")
def test_the_learner_sees_the_locked_item_and_the_path_page(client, plant, induction, employee):
    from django.urls import reverse

    _, _, b = induction
    person = plant.person(user=employee, job_function=plant.operators)
    client.force_login(employee)
    page = client.get(reverse("web:employee_path")).content.decode()
    assert "0 of 2 done (0%)" in page
    assert "locked" in page
    assignment = open_assignments(person=person, requirement=b)[0]
    view = client.get(reverse("web:employee_assignment", args=[assignment.pk])).content.decode()
    assert "cannot be started before its prerequisite is complete and valid" in view
    assert "Sign: read and understood" not in view


@pytest.mark.requirement("L4", "P43")
def test_the_curriculum_page_refuses_a_cycle_with_the_loop_named(client, plant, induction):
    """Bad input on the page: the refusal names the loop, nothing is added."""
    from django.urls import reverse

    _, a, b = induction
    other = training.curriculum_create(actor=plant.coordinator, code="ADV", title="Advanced")
    training.curriculum_item_add(actor=plant.coordinator, curriculum=other, requirement=b)
    client.force_login(plant.coordinator)
    url = reverse("web:coordinator_curriculum", args=[other.pk])
    response = client.post(url, {"requirement": a.pk, "prerequisite": b.pk})
    assert response.status_code == 422
    assert "would make a cycle (A-RU needs B-RU needs A-RU)" in response.content.decode()
    assert not other.items.filter(requirement=a).exists()
