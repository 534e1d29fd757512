"""CAPA: actions with owners and due dates; training actions assign retraining (G5)
and may demand a verification of effectiveness (E2, E3, E4)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from qualify.audit.registry import audited
from qualify.org.models import Client, JobFunction, Person
from qualify.training.models import Assignment, Requirement

capa_number = RegexValidator(r"^CAPA-\d{4}-\d{3,}$", "A CAPA number looks like CAPA-2026-007.")


class CapaSource(models.TextChoices):
    DEVIATION = "deviation", "Deviation"
    AUDIT_FINDING = "audit_finding", "Audit finding"
    COMPLAINT = "complaint", "Complaint"
    OTHER = "other", "Other"


class RootCause(models.TextChoices):
    TRAINING = "training", "Training"
    PROCEDURE = "procedure", "Procedure (unclear or wrong)"
    EQUIPMENT = "equipment", "Equipment"
    MATERIAL = "material", "Material"
    HUMAN_ERROR = "human_error", "Human error"
    METHOD = "method", "Method or process design"
    OTHER = "other", "Other"
    UNDETERMINED = "undetermined", "Not yet determined"


class CapaStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


@audited
class Capa(models.Model):
    number = models.CharField(max_length=40, unique=True, validators=[capa_number])
    source = models.CharField(max_length=20, choices=CapaSource.choices)
    source_reference = models.CharField(max_length=200, blank=True)
    deviation = models.ForeignKey(
        "quality.Deviation", null=True, blank=True, on_delete=models.PROTECT, related_name="capas"
    )
    # U2: the client the CAPA concerns; none for in-house work.
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    problem_statement = models.TextField()
    root_cause_category = models.CharField(max_length=20, choices=RootCause.choices)
    root_cause = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=CapaStatus.choices, default=CapaStatus.OPEN)
    # E4: retraining alone is rarely an effective correction.
    qa_review_required = models.BooleanField(default=False)
    qa_reviewed_at = models.DateTimeField(null=True, blank=True)
    qa_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    qa_review_comment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "CAPA"
        permissions = [("manage_capa", "Can raise CAPAs and their actions")]

    def __str__(self) -> str:
        return self.number

    def signed_content(self) -> dict:
        return {
            "number": self.number,
            "source": self.source,
            "source_reference": self.source_reference,
            "deviation": self.deviation_id,
            "problem_statement": self.problem_statement,
            "root_cause_category": self.root_cause_category,
            "root_cause": self.root_cause,
        }


class ActionKind(models.TextChoices):
    TRAINING = "training", "Training (retraining)"
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    AWAITING_VERIFICATION = "awaiting_verification", "Awaiting verification of effectiveness"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


class EffectivenessCheck(models.TextChoices):
    NONE = "none", "None"
    ASSESSMENT = "assessment", "Assessment passed"
    OBSERVATION = "observation", "Trainer's observation signed"
    REVIEW = "review", "Review on a later date"


@audited
class CapaAction(models.Model):
    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=30, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    people = models.ManyToManyField(Person, blank=True, related_name="+")
    job_functions = models.ManyToManyField(JobFunction, blank=True, related_name="+")
    effectiveness_check = models.CharField(
        max_length=20, choices=EffectivenessCheck.choices, default=EffectivenessCheck.NONE
    )
    # Assessment / observation: the requirement whose record proves effectiveness
    # (the retraining requirement itself when blank).
    effectiveness_requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_on = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    training_completed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["capa", "pk"]

    def __str__(self) -> str:
        return f"{self.capa.number} action {self.pk}: {self.description[:60]}"

    @property
    def source_key(self) -> str:
        return f"quality.capaaction:{self.pk}"

    @property
    def proof_requirement(self) -> Requirement | None:
        return self.effectiveness_requirement or self.requirement

    def signed_content(self) -> dict:
        return {
            "capa": self.capa_id,
            "kind": self.kind,
            "description": self.description,
            "owner": self.owner_id,
            "due_at": self.due_at,
            "requirement": self.requirement_id,
            "effectiveness_check": self.effectiveness_check,
            "review_on": self.review_on,
        }


@audited
class CapaActionTarget(models.Model):
    """One person a training action retrains, fixed when the action is created: the
    holders of its job functions at that moment plus the people it names."""

    action = models.ForeignKey(CapaAction, on_delete=models.PROTECT, related_name="targets")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="+")
    proof_assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    via_job_function = models.ForeignKey(
        JobFunction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["action", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action", "person"], name="capa_target_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} under action {self.action_id}"


@audited
class EffectivenessReview(models.Model):
    """A review of effectiveness on or after the action's review date, signed 'verified'."""

    action = models.ForeignKey(CapaAction, on_delete=models.PROTECT, related_name="reviews")
    reviewed_at = models.DateTimeField()
    effective = models.BooleanField()
    comment = models.TextField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["action", "reviewed_at"]

    def __str__(self) -> str:
        verdict = "effective" if self.effective else "not effective"
        return f"Review of action {self.action_id}: {verdict}"
