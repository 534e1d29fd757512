"""A validation run (P63): what `qualify validate` found, signed "validation executed"
by the person who ran it and approved by QA in the product.

The signatures vouch for `signed_content()`: the version, commit, selection, outcome,
counts and the SHA-256 of the pack's results.json — not the approval status or the
PDF's hash, which change after the executor signs.
"""

from django.conf import settings
from django.db import models

from qualify.audit.registry import audited


class RunOutcome(models.TextChoices):
    PASS = "pass", "PASS"
    FAIL = "fail", "FAIL"


class RunStatus(models.TextChoices):
    EXECUTED = "executed", "Executed, awaiting QA approval"
    APPROVED = "approved", "Approved by QA"


@audited
class ValidationRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    version = models.CharField(max_length=40)
    commit = models.CharField(max_length=80)
    lock_sha256 = models.CharField(max_length=64, blank=True)
    selection = models.CharField(max_length=200, help_text="Full, high-risk, or since a version")
    outcome = models.CharField(max_length=4, choices=RunOutcome.choices)
    iq_failed = models.PositiveIntegerField(default=0)
    iq_total = models.PositiveIntegerField(default=0)
    oq_failed = models.PositiveIntegerField(default=0)
    oq_total = models.PositiveIntegerField(default=0)
    pq_failed = models.PositiveIntegerField(default=0)
    pq_total = models.PositiveIntegerField(default=0)
    deviations = models.JSONField(default=list, blank=True)
    results_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pack_path = models.CharField(max_length=500, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default="executed")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Validation run {self.pk}: {self.version} {self.get_outcome_display()}"

    @property
    def passed(self) -> bool:
        return self.outcome == RunOutcome.PASS

    def signed_content(self) -> dict:
        return {
            "run": self.pk,
            "version": self.version,
            "commit": self.commit,
            "lock_sha256": self.lock_sha256,
            "selection": self.selection,
            "outcome": self.outcome,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "counts": [
                self.iq_failed,
                self.iq_total,
                self.oq_failed,
                self.oq_total,
                self.pq_failed,
                self.pq_total,
            ],
            "results_sha256": self.results_sha256,
        }

    def signature_conflict(self, user, meaning: str) -> str:
        """P63: the person who executed the validation does not approve it."""
        if meaning == "approved" and user.pk == self.executed_by_id:
            return "You executed this validation, so another QA approver must approve it."
        return ""
