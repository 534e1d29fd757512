"""Deviations and their qualification snapshot (Q4, Q7), taken once at creation."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from qualify.audit.registry import audited
from qualify.documents.models import Document
from qualify.org.models import Client, Person, Site

deviation_number = RegexValidator(
    r"^DEV-\d{4}-\d{3,}$", "A deviation number looks like DEV-2026-0142."
)


class DeviationCategory(models.TextChoices):
    """What kind of failure a deviation is, to see recurrence of the same kind."""

    PROCEDURE = "procedure", "Procedure not followed"
    EQUIPMENT = "equipment", "Equipment"
    MATERIAL = "material", "Material"
    DOCUMENTATION = "documentation", "Documentation"
    TRAINING = "training", "Training"
    OTHER = "other", "Other"


class DeviationStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


@audited
class Deviation(models.Model):
    number = models.CharField(max_length=40, unique=True, validators=[deviation_number])
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    # U2: the client the deviation concerns; none for in-house work.
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # T1: occurred_at is attested by the reporter; recorded_at is the server's time.
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    description = models.TextField(help_text="What happened.")
    batch = models.CharField(max_length=80, blank=True)
    category = models.CharField(
        max_length=20, choices=DeviationCategory.choices, default=DeviationCategory.OTHER
    )
    people = models.ManyToManyField(Person, blank=True, related_name="+")
    documents = models.ManyToManyField(Document, blank=True, related_name="+")
    status = models.CharField(
        max_length=20, choices=DeviationStatus.choices, default=DeviationStatus.OPEN
    )
    # E1: opened by the batch gate for work performed while not qualified.
    automatic = models.BooleanField(default=False)
    execution = models.ForeignKey(
        "quality.Execution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deviations",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        permissions = [
            ("report_deviation", "Can report deviations"),
            ("order_requalification", "Can order requalification from a deviation"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def source_key(self) -> str:
        return f"quality.deviation:{self.pk}"

    def signed_content(self) -> dict:
        return {
            "number": self.number,
            "occurred_at": self.occurred_at,
            "description": self.description,
            "batch": self.batch,
        }


@audited
class DeviationSnapshot(models.Model):
    """Q7: for one person and document, the answer at occurred_at with all that was
    known when the deviation was recorded, and as known at occurred_at. Append-only
    (database triggers): later data never changes what was recorded."""

    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="snapshot")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField()
    qualified_known_now = models.BooleanField()
    qualified_as_known_then = models.BooleanField()
    answer = models.JSONField()

    class Meta:
        ordering = ["deviation", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deviation", "person", "document"], name="deviation_snapshot_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deviation_id}: person {self.person_id} on document {self.document_id}"
