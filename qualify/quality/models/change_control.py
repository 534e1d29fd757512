"""Change control: a change record approved by e-signature; the document revisions it
covers are linked to it and their training follows G3 (E2 for closing)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from qualify.audit.registry import audited
from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Client, JobFunction, Site

cc_number = RegexValidator(r"^CC-\d{4}-\d{3,}$", "A change control number looks like CC-2026-031.")


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ChangeControlStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


@audited
class ChangeControl(models.Model):
    number = models.CharField(max_length=40, unique=True, validators=[cc_number])
    title = models.CharField(max_length=300)
    description = models.TextField()
    reason = models.TextField(help_text="Why the change is made.")
    risk = models.CharField(max_length=20, choices=Risk.choices)
    risk_assessment = models.TextField(blank=True)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # U2: the client the change concerns; none for in-house work.
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    affected_documents = models.ManyToManyField(Document, blank=True, related_name="+")
    affected_job_functions = models.ManyToManyField(JobFunction, blank=True, related_name="+")
    planned_effective_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=ChangeControlStatus.choices, default=ChangeControlStatus.DRAFT
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("manage_change_control", "Can raise change controls and link revisions"),
            ("close_quality_event", "Can close change controls, CAPAs and deviations"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def source_key(self) -> str:
        return f"quality.changecontrol:{self.pk}"

    def signed_content(self) -> dict:
        """What the approval signature vouches for: the change as described, not the
        workflow status that approving and closing change."""
        return {
            "number": self.number,
            "title": self.title,
            "description": self.description,
            "reason": self.reason,
            "risk": self.risk,
            "risk_assessment": self.risk_assessment,
            "planned_effective_date": self.planned_effective_date,
            "affected_documents": sorted(d.pk for d in self.affected_documents.all()),
            "affected_job_functions": sorted(j.pk for j in self.affected_job_functions.all()),
        }


@audited
class ChangeControlRevision(models.Model):
    """Document version V is made under change control C (a version has at most one)."""

    change_control = models.ForeignKey(
        ChangeControl, on_delete=models.PROTECT, related_name="revisions"
    )
    version = models.OneToOneField(
        DocumentVersion, on_delete=models.PROTECT, related_name="change_control_link"
    )
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["change_control", "pk"]

    def __str__(self) -> str:
        return f"{self.version} under {self.change_control.number}"
