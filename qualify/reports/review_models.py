"""Audit-trail review (EU GMP Annex 11 §9): a QA approver reviews the audit events of
a scope (a record type, a site, or both; blank means all) since the previous review
of that scope, notes findings per entry, and signs the review ("reviewed", Part 11).

A review covers the events with first_seq < seq <= last_seq that fall in its scope;
the next review of the same scope starts where the last one ended, so together
they cover the trail without gap or overlap. One open review per scope at a time.
"""

from django.conf import settings
from django.db import models

from qualify.audit.registry import audited


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    SIGNED = "signed", "Signed"


@audited
class AuditReview(models.Model):
    object_type = models.CharField(
        max_length=100, blank=True, help_text="Record type reviewed, e.g. training.trainingrecord"
    )
    site = models.ForeignKey(
        "org.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_key = models.CharField(max_length=140, editable=False)
    first_seq = models.BigIntegerField(help_text="Events after this sequence number")
    last_seq = models.BigIntegerField(help_text="Up to and including this sequence number")
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField()
    entries = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default="open")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    conclusion = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope_key"],
                condition=models.Q(status="open"),
                name="audit_review_one_open_per_scope",
            )
        ]

    def __str__(self) -> str:
        return f"Audit-trail review {self.pk} ({self.scope_label})"

    @property
    def scope_label(self) -> str:
        what = self.object_type or "all record types"
        where = f"site {self.site.code}" if self.site_id else "all sites"
        return f"{what}, {where}"


@audited
class AuditReviewFinding(models.Model):
    review = models.ForeignKey(AuditReview, on_delete=models.PROTECT, related_name="findings")
    seq = models.BigIntegerField(help_text="The audit event the finding is about")
    note = models.TextField()
    noted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    noted_at = models.DateTimeField()

    class Meta:
        ordering = ["seq", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "seq"], name="audit_review_finding_once")
        ]

    def __str__(self) -> str:
        return f"Finding on event {self.seq}"


class AuditReviewReminder(models.Model):
    """One reminder per scope and day, however often the daily job runs."""

    scope_key = models.CharField(max_length=140)
    day = models.DateField()
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope_key", "day"], name="audit_review_reminder_once")
        ]

    def __str__(self) -> str:
        return f"Audit-trail review reminder {self.scope_key} {self.day}"
