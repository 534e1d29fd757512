"""P33, L2: a question bank is a controlled document. Document control edits a draft's
questions (page, API, YAML/JSON import and export); the version's content carries their
hash, so its signatures cover them; what disagrees is refused."""

import json

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qualify.assessments import bank as bank_format
from qualify.assessments import services
from qualify.assessments.models import BankQuestion
from qualify.documents import services as documents
from qualify.documents.models import VersionStatus
from tests.assessments.support import BANK_YAML, bank_revision, right_answers
from tests.quality.plant import creds

pytestmark = pytest.mark.requirement("P33", "L2")


def _draft(plant, bank, revision="2"):
    return documents.version_draft(
        actor=plant.doc_controller, document=bank, revision=revision, change_summary="More"
    )


def test_every_question_kind_round_trips_through_yaml_and_json(plant, bank):
    version = bank.versions.get()
    rows = bank_format.questions_of(version)
    assert {q.kind for q in rows} == {
        "single", "multiple", "ordering", "wrong_step", "numeric", "short_text", "true_false"
    }  # fmt: skip
    for fmt in ("yaml", "json"):
        text = bank_format.export(version, fmt)
        again = bank_format.parse(text, fmt)
        assert bank_format.content_hash(again) == bank_format.content_hash(rows)


def test_the_versions_content_carries_the_questions_hash_its_signatures_cover(bank):
    version = bank.versions.get()
    assert version.status == VersionStatus.APPROVED
    digest = bank_format.content_hash(bank_format.questions_of(version))
    assert f"Questions SHA-256: {digest}" in version.content_text
    assert bank_format.problem(version) is None


def test_bad_text_is_refused_with_every_problem_and_nothing_saved(plant, bank):
    draft = _draft(plant, bank)
    bad = """
questions:
  - topic: Gowning
    kind: single
    prompt: Which?
    options: [One, Two]
    answer: Three
  - topic: Gowning
    kind: guess
    prompt: What?
  - kind: numeric
    prompt: How many?
    answer: many
"""
    with pytest.raises(ValidationError) as refused:
        services.bank_save(actor=plant.doc_controller, version=draft, text=bad)
    messages = " ".join(refused.value.messages)
    assert "Question 1: the answer 'Three' is not one of the options" in messages
    assert "Question 2: kind must be one of" in messages
    assert "Question 3: a topic" in messages
    assert "Question 3: the answer is a number" in messages
    assert not BankQuestion.objects.filter(version=draft).exists()
    with pytest.raises(ValidationError, match="not readable YAML"):
        services.bank_save(actor=plant.doc_controller, version=draft, text="questions: [")
    with pytest.raises(ValidationError, match="not readable JSON"):
        services.bank_save(actor=plant.doc_controller, version=draft, text="{", fmt="json")


def test_only_a_drafts_questions_change(plant, bank):
    approved = bank.versions.get()
    with pytest.raises(ValidationError, match="only a draft"):
        services.bank_save(actor=plant.doc_controller, version=approved, text=BANK_YAML)


def test_only_document_control_edits_a_bank(plant, bank, coordinator):
    from django.core.exceptions import PermissionDenied

    draft = _draft(plant, bank)
    with pytest.raises(PermissionDenied):
        services.bank_save(actor=coordinator, version=draft, text=BANK_YAML)


def test_a_bank_whose_content_was_changed_outside_the_editor_is_not_submitted(plant, bank):
    draft = _draft(plant, bank)
    services.bank_save(actor=plant.doc_controller, version=draft, text=BANK_YAML)
    documents.version_update_draft(
        actor=plant.doc_controller, version=draft, reason="Edited", content_text="Other text"
    )
    with pytest.raises(ValidationError, match="does not match its questions"):
        documents.version_submit(
            actor=plant.doc_controller, version=draft, credentials=creds(plant.doc_controller)
        )
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_no_attempt_starts_on_a_bank_whose_questions_no_longer_match(course, operator, bank):
    """Questions edited behind the application's back: the signed hash no longer
    matches, and the assessment refuses to draw from them."""
    _, assessment = course
    question = BankQuestion.objects.filter(version__document=bank).first()
    question.answer = {"correct": "a"}
    question.save()
    with pytest.raises(ValidationError, match="does not match its questions"):
        services.attempt_start(actor=operator.user, assessment=assessment)


def test_a_new_bank_version_is_reviewed_and_approved_and_then_drawn_from(
    plant, bank, course, operator
):
    text = BANK_YAML.replace("Which glove layer", "Which glove layer exactly")
    version = bank_revision(plant, bank, "2", text)
    assert version.status == VersionStatus.APPROVED
    _, assessment = course
    attempt = services.attempt_start(actor=operator.user, assessment=assessment)
    assert attempt.bank_version == version
    done = services.attempt_submit(
        actor=operator.user, attempt=attempt, answers=right_answers(attempt)
    )
    assert done.score == 100


def test_the_bank_editor_page_imports_a_file_and_exports_it(plant, bank):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = _draft(plant, bank)
    client = Client()
    client.force_login(plant.doc_controller)
    url = reverse("web:assessment_bank", args=[draft.pk])
    assert client.get(url).status_code == 200
    data = json.dumps(yaml.safe_load(BANK_YAML))
    upload = SimpleUploadedFile("bank.json", data.encode(), content_type="application/json")
    response = client.post(url, {"file": upload, "reason": "First questions"}, follow=True)
    assert "Saved 7 questions." in response.content.decode()
    exported = client.get(reverse("web:assessment_bank_export", args=[draft.pk]))
    assert exported["Content-Disposition"].endswith('.yaml"')
    assert len(yaml.safe_load(exported.content)["questions"]) == 7
    bad = client.post(url, {"text": "questions: []", "reason": "Empty"})
    assert "Give a list of questions" in bad.content.decode()


def test_the_api_replaces_a_drafts_questions_and_reads_them(plant, bank):
    draft = _draft(plant, bank)
    api = APIClient()
    api.force_login(plant.doc_controller)
    url = reverse("api:assessment-bank-questions", args=[draft.pk])
    questions = yaml.safe_load(BANK_YAML)["questions"][:3]
    response = api.post(url, {"questions": questions, "reason": "API import"}, format="json")
    assert response.status_code == 200, response.content
    assert [q["key"] for q in response.json()["questions"]] == ["G1", "G2", "G3"]
    refused = api.post(url, {"text": "- not: a bank", "reason": "x"}, format="json")
    assert refused.status_code == 400
    assert len(api.get(url).json()["questions"]) == 3
