"""Executions: who performed which work under which documents on which batch, and
the gate's answer at that moment (E1, T1). Append-only."""

from django.conf import settings
from django.db import models

from qualify.audit.registry import audited
from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Client, Person, Site


class ExecutionOutcome(models.TextChoices):
    QUALIFIED = "qualified", "Performed qualified"
    DEVIATION = "deviation", "Performed not qualified; deviation opened"


@audited
class Execution(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    # U2: the client whose documents the work is performed under; none for in-house.
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    batch = models.CharField(max_length=80)
    step = models.CharField(max_length=200, blank=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="executions")
    # T1: the server's time; a time claimed by an integration is stored beside it.
    performed_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    late_entry = models.BooleanField(default=False)
    documents = models.ManyToManyField(Document, through="ExecutionDocument", related_name="+")
    qualified = models.BooleanField()
    outcome = models.CharField(max_length=20, choices=ExecutionOutcome.choices)
    gate_answer = models.JSONField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["performed_at", "pk"]
        indexes = [models.Index(fields=["batch", "performed_at"], name="execution_batch")]
        permissions = [("record_execution", "Can record work performed on a batch")]

    def __str__(self) -> str:
        return f"{self.batch}: {self.person} at {self.performed_at:%Y-%m-%d %H:%M}"


@audited
class ExecutionDocument(models.Model):
    execution = models.ForeignKey(Execution, on_delete=models.PROTECT, related_name="lines")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["execution", "pk"]

    def __str__(self) -> str:
        return f"{self.execution_id}: {self.version}"
