"""A report export run in the background (large exports): its parameters, progress and
file. The file is the user's alone; the audit event of the export holds its SHA-256."""

from django.conf import settings
from django.db import models


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"


class ReportExport(models.Model):
    report = models.CharField(max_length=60)
    format = models.CharField(max_length=10)
    parameters = models.JSONField(default=dict)
    # The zone naive instants were typed in (pages), kept so the task parses alike.
    zone = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_estimate = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="reports/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.report} ({self.format}) by {self.requested_by_id}"

    @property
    def percent(self) -> int | None:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_estimate:
            return None
        return min(99, int(100 * self.rows_done / self.rows_estimate))


# Audit-trail review (Annex 11 §9), kept in its own module.
from qualify.reports.review_models import (  # noqa: E402, F401
    AuditReview,
    AuditReviewFinding,
    AuditReviewReminder,
)
