"""L1 at the HTTP level: the page and the API of an attempt in progress carry nothing
of the answer key (they are byte for byte the same whatever the key says); a late
submission is refused; the refusal reaches the person in words."""

import re

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qualify.assessments import services
from qualify.assessments.models import AttemptStatus, BankQuestion
from tests.assessments.support import assign_and_read, elearning, later, right_answers

pytestmark = pytest.mark.requirement("L1", "P32")

# What differs between two renderings anyway: CSRF tokens and CSP nonces.
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"|nonce="[^"]+"')


def _page(client, attempt) -> str:
    html = client.get(reverse("web:assessment_attempt", args=[attempt.pk])).content.decode()
    return CSRF.sub("", html)


def _scramble_the_key(attempt) -> None:
    """Give every drawn question another answer key and explanation."""
    for item in attempt.items.select_related("question"):
        q: BankQuestion = item.question
        keys = [o["key"] for o in q.options]
        if q.kind in ("single", "wrong_step"):
            q.answer = {"correct": next(k for k in keys if k != q.answer["correct"])}
        elif q.kind == "multiple":
            q.answer = {"correct": keys[:1]}
        elif q.kind == "ordering":
            q.answer = {"order": list(reversed(keys))}
        elif q.kind == "true_false":
            q.answer = {"correct": not q.answer["correct"]}
        elif q.kind == "numeric":
            q.answer = {"value": 12345.5, "tolerance": 0.25}
        elif q.kind == "short_text":
            q.answer = {"accepted": ["Something entirely different"]}
        q.explanation = "A new explanation"
        q.save()


def test_the_answer_key_is_not_in_the_page_of_an_attempt_in_progress(course, operator, monkeypatch):
    """L1: correct answers never reach the browser before submission: the page is the
    same whatever the key, and no accepted answer or explanation appears in it."""
    # The page carries a timestamped signed token (the signing dialog's offer): one
    # instant for both renderings, or a second boundary between them changes the bytes.
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: "1xY1gk")
    _, assessment = course
    client = Client()
    client.force_login(operator.user)
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    before = _page(client, attempt)
    assert "Question 4" in before
    secrets = []
    for item in attempt.items.select_related("question"):
        q = item.question
        secrets += [q.explanation] if q.explanation else []
        secrets += q.answer.get("accepted", [])
        if q.kind == "numeric":
            secrets.append(f"{q.answer['value']:g} ±")
    for secret in secrets:
        assert secret not in before
    _scramble_the_key(attempt)
    assert _page(client, attempt) == before


def test_the_answer_key_is_not_in_the_api_answer_of_an_attempt_in_progress(course, operator):
    _, assessment = course
    api = APIClient()
    api.force_login(operator.user)
    started = api.post(reverse("api:assessment-attempt-start", args=[assessment.pk]))
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["results"] is None
    assert len(body["questions"]) == 4
    attempt = operator.assessment_attempts.get()
    url = reverse("api:assessment-attempt", args=[attempt.pk])
    before = api.get(url).content
    assert b'"answer"' not in before
    assert b'"correct"' not in before
    assert b'"expected"' not in before
    _scramble_the_key(attempt)
    assert api.get(url).content == before


def test_the_result_shows_the_answers_once_submitted(course, operator):
    _, assessment = course
    api = APIClient()
    api.force_login(operator.user)
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    response = api.post(
        reverse("api:assessment-attempt-submit", args=[attempt.pk]),
        {"answers": right_answers(attempt)},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "passed"
    assert all(row["correct"] for row in body["results"])
    assert {t["topic"] for t in body["topics"]} == {"Gowning", "Cleaning"}


def test_a_late_submission_is_refused_on_the_page_and_the_attempt_ends_failed(
    plant, bank, operator
):
    requirement, assessment = elearning(plant, bank, code="EL-TIMED", time_limit_minutes=5)
    assign_and_read(plant, operator, requirement)
    client = Client()
    client.force_login(operator.user)
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    data = {f"q{k}": v for k, v in right_answers(attempt).items()}
    data["form_token"] = services.form_token(attempt)
    with time_machine.travel(timezone.now() + later(6), tick=False):
        response = client.post(
            reverse("web:assessment_attempt", args=[attempt.pk]), data, follow=True
        )
    assert response.status_code == 200
    assert "time limit ended" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED
    assert not attempt.items.exclude(response=None).exists()


def test_a_late_submission_is_refused_by_the_api(plant, bank, operator):
    requirement, assessment = elearning(plant, bank, code="EL-TIMED", time_limit_minutes=5)
    assign_and_read(plant, operator, requirement)
    api = APIClient()
    api.force_login(operator.user)
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    with time_machine.travel(timezone.now() + later(6), tick=False):
        response = api.post(
            reverse("api:assessment-attempt-submit", args=[attempt.pk]),
            {"answers": right_answers(attempt)},
            format="json",
        )
    assert response.status_code == 400
    assert "time limit ended" in response.json()["detail"]
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED


def test_a_page_post_without_its_hidden_field_is_refused(course, operator):
    """A tampered (here: removed) hidden field: refused with a clear message, nothing saved."""
    _, assessment = course
    client = Client()
    client.force_login(operator.user)
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    data = {f"q{k}": v for k, v in right_answers(attempt).items()}
    response = client.post(reverse("web:assessment_attempt", args=[attempt.pk]), data, follow=True)
    assert "altered" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_the_operator_takes_submits_and_signs_on_the_pages(course, operator, plant):
    """The whole flow through the pages: start, answer, result, sign; the assignment
    is then completed by the signed record."""
    requirement, _ = course
    client = Client()
    client.force_login(operator.user)
    take = reverse("web:assessment_take", args=[requirement.pk])
    assert "Start the assessment" in client.get(take).content.decode()
    response = client.post(take)
    assert response.status_code == 302
    attempt = operator.assessment_attempts.get()
    data = {f"q{k}": v for k, v in right_answers(attempt).items()}
    data["form_token"] = services.form_token(attempt)
    page = client.post(reverse("web:assessment_attempt", args=[attempt.pk]), data, follow=True)
    html = page.content.decode()
    assert "100.00%" in html
    assert "Sign: completed assessment" in html
    signed = client.post(
        reverse("web:assessment_attempt_sign", args=[attempt.pk]),
        {"username": operator.user.username, "password": _password()},
        follow=True,
    )
    assert "Signed: training record" in signed.content.decode()
    attempt.refresh_from_db()
    assert attempt.record is not None
    assignment = attempt.record.person.assignments.get(requirement=requirement)
    assert assignment.status == "completed"


def test_another_persons_attempt_is_not_found(course, operator, plant):
    _, assessment = course
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    other = plant.person("Other Operator", job_function=plant.operators)
    client = Client()
    client.force_login(other.user)
    assert client.get(reverse("web:assessment_attempt", args=[attempt.pk])).status_code == 404
    api = APIClient()
    api.force_login(other.user)
    url = reverse("api:assessment-attempt", args=[attempt.pk])
    assert api.get(url).status_code == 404


def _password() -> str:
    from tests.personas import PASSWORD

    return PASSWORD
