"""P35 (free text reviewed by a trainer) and P36 (item statistics per bank version)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from qualify.assessments import queries, services
from qualify.assessments.models import AttemptStatus
from qualify.assessments.queries import _point_biserial
from tests.assessments.support import (
    BANK_YAML,
    approved_bank,
    assign_and_read,
    elearning,
    right_answers,
    wrong_answers,
)

FREE = """
  - key: F1
    topic: Judgement
    kind: free_text
    prompt: Explain why the gloves are changed after a breach.
    answer: Mentions the sterile barrier.
"""


@pytest.mark.requirement("P35")
def test_free_text_waits_for_a_trainer_whose_verdict_sets_the_score(plant, operator, trainer):
    document, _ = approved_bank(plant, "QB-002", BANK_YAML + FREE)
    requirement, assessment = elearning(
        plant,
        document,
        code="EL-FREE",
        per_topic={"Gowning": 1, "Judgement": 1},
        trainer_review=True,
    )
    assign_and_read(plant, operator, requirement)
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    attempt = services.attempt_submit(
        actor=operator.user, attempt=attempt, answers=right_answers(attempt)
    )
    assert attempt.status == AttemptStatus.IN_REVIEW
    assert attempt.score is None
    free = attempt.items.get(question__kind="free_text")
    with pytest.raises(PermissionDenied):
        services.attempt_review(actor=operator.user, attempt=attempt, verdicts={})
    with pytest.raises(ValidationError, match="Judge every free-text answer"):
        services.attempt_review(actor=trainer, attempt=attempt, verdicts={})
    attempt = services.attempt_review(
        actor=trainer, attempt=attempt, verdicts={str(free.position): False}, comment="Vague"
    )
    assert attempt.status == AttemptStatus.FAILED
    assert attempt.score == 50


@pytest.mark.requirement("P35")
def test_free_text_needs_the_trainer_review_turned_on(plant):
    document, _ = approved_bank(plant, "QB-003", BANK_YAML + FREE)
    with pytest.raises(ValidationError, match="trainer's review"):
        elearning(plant, document, code="EL-NOREV", per_topic={"Judgement": 1})


@pytest.mark.requirement("P35")
def test_an_assessment_takes_its_requirements_pass_mark(plant, bank):
    with pytest.raises(ValidationError, match="pass mark of 75"):
        elearning(plant, bank, code="EL-MARK", pass_mark=60)


@pytest.mark.requirement("P36")
def test_point_biserial_matches_the_textbook_formula():
    # Item right for the two best, wrong for the two worst: perfect separation.
    pairs = [(1, 1.0), (1, 0.75), (0, 0.25), (0, 0.0)]
    r = _point_biserial(pairs)
    assert r == pytest.approx(0.9487, abs=1e-4)
    assert _point_biserial([(1, 0.5), (1, 0.7)]) is None  # nobody wrong: undefined


@pytest.mark.requirement("P36")
def test_item_statistics_per_bank_version_on_the_page(plant, bank, course, coordinator):
    requirement, assessment = course
    people = [plant.person(f"Op {n}", job_function=plant.operators) for n in range(3)]
    plant.matrix(requirement)
    from tests.assessments.support import read

    for n, person in enumerate(people):
        read(plant, person, requirement)
        attempt = services.attempt_start(actor=person.user, assessment=assessment)
        answers = right_answers(attempt) if n < 2 else wrong_answers(attempt)
        services.attempt_submit(actor=person.user, attempt=attempt, answers=answers)
    version = bank.versions.get()
    rows = {r.key: r for r in queries.item_statistics(version)}
    answered = [r for r in rows.values() if r.answered]
    assert sum(r.answered for r in rows.values()) == 12
    for r in answered:
        assert 0 <= r.difficulty <= 1
    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("web:assessment_statistics", args=[version.pk]))
    assert page.status_code == 200
    assert "Discrimination" in page.content.decode()
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(coordinator)
    body = api.get(reverse("api:assessment-bank-statistics", args=[version.pk])).json()
    assert {row["key"] for row in body} == set(rows)
