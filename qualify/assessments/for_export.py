"""The questions of a bank's version in force, for a course exported as a package
(issue 15, authoring light: qualify.content.authoring, which may not import this app,
takes this reader from the pages and the API)."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.assessments import bank
from qualify.documents.models import Document
from qualify.documents.queries import effective_version


def bank_questions(document: Document) -> tuple[list[dict], str]:
    """(questions in the interchange format, "QB-001 rev 2") of the version of the
    bank effective now; refused when none is in force or its questions no longer
    match what its signatures cover (bank.problem)."""
    version = effective_version(document, at=timezone.now())
    if version is None:
        raise ValidationError(
            {"bank": f"{document.number} has no approved version in force; approve one first."}
        )
    why = bank.problem(version)
    if why:
        raise ValidationError({"bank": why})
    questions = [bank.to_interchange(q) for q in bank.questions_of(version)]
    if not questions:
        raise ValidationError(
            {"bank": f"{document.number} rev {version.revision} has no question."}
        )
    return questions, f"{document.number} rev {version.revision}"
