"""Question banks, assessments and attempts (L1, L2).

A question bank is a controlled Document of type "qbank"; its questions belong to one
DocumentVersion and can change only while that version is a draft. The version's
`content_text` carries the SHA-256 of the questions' canonical form (qualify.assessments
.bank), so the author's, reviewer's and approver's signatures vouch for the questions.

An Assessment (one per training requirement) draws questions per topic from the bank
version in force. An Attempt records that exact version, the seed of its draw, each
drawn question with the order its options were shown in, every answer and the score.
Correct answers live only on BankQuestion rows and never leave the server before the
attempt is submitted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from qualify.audit.registry import audited
from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Person
from qualify.training.models import Requirement, TrainingRecord


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    TRUE_FALSE = "true_false", "True or false"
    NUMERIC = "numeric", "Number (with tolerance)"
    SHORT_TEXT = "short_text", "Short text"
    ORDERING = "ordering", "Put the steps in order"
    WRONG_STEP = "wrong_step", "Select the step that is wrong"
    FREE_TEXT = "free_text", "Free text (reviewed by a trainer)"


# Kinds whose options are shown (and shuffled per attempt).
OPTION_KINDS = {
    QuestionKind.SINGLE,
    QuestionKind.MULTIPLE,
    QuestionKind.ORDERING,
    QuestionKind.WRONG_STEP,
}


class BankQuestion(models.Model):
    """One question of one bank version. `options` is [{"key", "text"}] in the
    author's order (for ordering questions: the correct order); `answer` holds what is
    correct, by option key (never sent to a browser before submission).

    Not audited row by row: a draft's questions are replaced whole by the bank editor
    (one audit event with their hash), and from submission on they are pinned by the
    SHA-256 in the version's content text, which the version's signatures cover; an
    attempt refuses a bank whose rows no longer match it (bank.problem)."""

    version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="bank_questions"
    )
    key = models.CharField(max_length=40)
    position = models.PositiveIntegerField()
    topic = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=QuestionKind.choices)
    prompt = models.TextField()
    # "Select the step that is wrong": the procedure excerpt the steps come from.
    excerpt = models.TextField(blank=True)
    options = models.JSONField(default=list, blank=True)
    answer = models.JSONField(default=dict, blank=True)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="bank_question_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.topic})"


@audited
class Assessment(models.Model):
    """How a requirement's assessment is drawn and judged."""

    requirement = models.OneToOneField(
        Requirement, on_delete=models.PROTECT, related_name="assessment"
    )
    bank = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="assessments")
    # {"topic": number of questions drawn from it}
    per_topic = models.JSONField()
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2)
    attempt_limit = models.PositiveIntegerField(null=True, blank=True)
    time_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    cooldown_minutes = models.PositiveIntegerField(default=0)
    # Free-text questions are scored by a trainer before the result stands.
    trainer_review = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requirement__code"]
        permissions = [
            ("manage_assessments", "Can define assessments"),
            ("review_answers", "Can review free-text answers of assessments"),
        ]

    def __str__(self) -> str:
        return f"Assessment of {self.requirement.code}"

    @property
    def question_count(self) -> int:
        return sum(int(n) for n in self.per_topic.values())


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    IN_REVIEW = "in_review", "Waiting for a trainer's review"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Failed: time limit passed"
    VOID = "void", "Void: the bank version was retired"


FINISHED = (AttemptStatus.PASSED, AttemptStatus.FAILED, AttemptStatus.EXPIRED)


@audited
class Attempt(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="attempts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assessment_attempts")
    bank_version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="attempts"
    )
    number = models.PositiveIntegerField(help_text="1 for the person's first attempt, …")
    seed = models.BigIntegerField()
    status = models.CharField(
        max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2)
    # The signed training record made from this attempt (L1: the trainee signs).
    record = models.OneToOneField(
        TrainingRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessment_attempt",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            # L1: one attempt in progress per person, whatever the assessment.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="in_progress"),
                name="one_attempt_in_progress_per_person",
                violation_error_message="You already have an assessment attempt in progress.",
            ),
            models.UniqueConstraint(
                fields=["assessment", "person", "number"], name="attempt_number_once"
            ),
        ]
        indexes = [models.Index(fields=["person", "assessment"], name="attempt_lookup")]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.person} on {self.assessment.requirement.code}"

    @property
    def passed(self) -> bool:
        return self.status == AttemptStatus.PASSED

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@audited
class AttemptItem(models.Model):
    """One drawn question of an attempt: its place, the order its options were shown
    in (option keys), the answer given (by option key) and whether it was correct."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="items")
    question = models.ForeignKey(BankQuestion, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    option_order = models.JSONField(default=list, blank=True)
    response = models.JSONField(null=True, blank=True)
    correct = models.BooleanField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_item_place"),
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}.{self.position}"
