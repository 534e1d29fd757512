"""Controlled documents and their versions (Q1, Q2).

A version's stored `status` follows its workflow (draft → in review → approved, or
withdrawn). Whether an approved version is *effective* or *superseded* is not
stored state: it is a question about an instant, answered from effective_from /
effective_to (Q1), so correctness never waits for a scheduled job.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from qualify.audit.registry import audited
from qualify.org.models import Client, Framework, Site


class DocumentType(models.TextChoices):
    SOP = "sop", "SOP"
    WORK_INSTRUCTION = "wi", "Work instruction"
    FORM = "form", "Form"
    POLICY = "policy", "Policy"
    PROTOCOL = "protocol", "Protocol"
    SPECIFICATION = "spec", "Specification"
    QUESTION_BANK = "qbank", "Question bank"
    CONTENT_PACKAGE = "package", "E-learning package"


@audited
class Document(models.Model):
    number = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    doc_type = models.CharField(max_length=20, choices=DocumentType.choices)
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="documents")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_documents"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    created_at = models.DateTimeField()
    # Q1: obsoleting ends the last version at obsolete_from; obsolete_recorded_at
    # is when the system learnt it (Q7).
    obsolete_from = models.DateTimeField(null=True, blank=True)
    obsolete_recorded_at = models.DateTimeField(null=True, blank=True)
    obsolete_reason = models.TextField(blank=True)
    # Periodic review: every N months after the current version took effect or the
    # last periodic review, whichever is later (qualify.documents.reviews). Empty: none.
    review_interval_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Months between periodic reviews; empty means no periodic review.",
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            # "sop-001" and "SOP-001" are one number, also against obsolete documents.
            models.UniqueConstraint(
                Lower("number"),
                name="document_number_ignore_case",
                violation_error_message="This document number is already used.",
            ),
            models.CheckConstraint(
                condition=Q(review_interval_months__isnull=True)
                | Q(review_interval_months__gte=1, review_interval_months__lte=120),
                name="document_review_interval_range",
            ),
        ]
        permissions = [
            ("manage_documents", "Can create documents and draft revisions"),
            ("obsolete_document", "Can make a document obsolete"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    WITHDRAWN = "withdrawn", "Withdrawn"


def version_upload_path(instance: "DocumentVersion", filename: str) -> str:
    return f"documents/{instance.document.number}/{instance.revision}/{filename}"


@audited
class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    revision = models.CharField(max_length=20)
    # Orders versions within a document: Q2's "latest version <= v".
    sequence = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    file = models.FileField(upload_to=version_upload_path, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    content_text = models.TextField(
        blank=True, help_text="Text shown on the reading page when no PDF is attached."
    )
    change_summary = models.TextField()
    retraining_required = models.BooleanField(default=True)
    editorial_justification = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_versions"
    )
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    effective_from = models.DateTimeField(null=True, blank=True)
    effective_to = models.DateTimeField(null=True, blank=True)
    # Q2: the latest version <= this one that required retraining; set at approval.
    baseline = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["document", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["document", "sequence"], name="version_sequence"),
            models.UniqueConstraint(fields=["document", "revision"], name="version_revision"),
            # At most one version of a document is being worked on at a time.
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status__in=["draft", "in_review"]),
                name="version_one_open_per_document",
                violation_error_message="This document already has a version in draft or review.",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=False, effective_to__gt=models.F("effective_from")),
                name="version_interval_not_empty",
            ),
        ]
        indexes = [models.Index(fields=["document", "effective_from"], name="version_effective")]
        permissions = [("approve_version", "Can approve document versions (QA)")]

    def __str__(self) -> str:
        return f"{self.document.number} rev {self.revision}"

    def audit_state(self) -> dict:
        """Every concrete field by column name (as audited by default), with the file as
        its stored name: an empty FieldFile has no canonical form of its own."""
        state = {f.attname: f.value_from_object(self) for f in self._meta.concrete_fields}
        state["file"] = self.file.name or ""
        return state

    def signed_content(self) -> dict:
        """What a review or approval signature vouches for: the content, not the
        workflow status that the approval itself changes."""
        return {
            "document": self.document.number,
            "revision": self.revision,
            "sequence": self.sequence,
            "file_sha256": self.file_sha256,
            "content_text": self.content_text,
            "change_summary": self.change_summary,
            "retraining_required": self.retraining_required,
            "editorial_justification": self.editorial_justification,
            "author_id": self.author_id,
        }

    def signature_conflict(self, user, meaning: str) -> str | None:
        if meaning in {"approved", "reviewed"} and user.pk == self.author_id:
            return "The author of a version cannot review or approve it."
        return None

    def state_at(self, instant) -> str:
        """Lifecycle label at an instant: draft, in review, approved, effective, superseded."""
        if self.status != VersionStatus.APPROVED:
            return self.get_status_display()
        if self.effective_from is None or instant < self.effective_from:
            return "Approved"
        if self.effective_to is not None and instant >= self.effective_to:
            obsolete = self.document.obsolete_from
            return "Obsolete" if obsolete and self.effective_to == obsolete else "Superseded"
        return "Effective"


class ReviewOutcome(models.TextChoices):
    NO_CHANGE = "no_change", "Reviewed, no change"
    REVISION = "revision", "Revision started"


@audited
class PeriodicReview(models.Model):
    """One periodic review of a document: signed "reviewed, no change" (the reviewer
    signs "reviewed"), or a new revision started, which is then signed through its
    own review and approval."""

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="periodic_reviews"
    )
    # The version in force when it was reviewed (None when none was).
    version = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices)
    # The revision started from this review (outcome "revision").
    revision = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True, help_text="The due date it answered.")
    comment = models.TextField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField()

    class Meta:
        ordering = ["document", "reviewed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="no_change", revision__isnull=True)
                | Q(outcome="revision", revision__isnull=False),
                name="periodic_review_revision_named",
            )
        ]

    def __str__(self) -> str:
        return f"Periodic review of {self.document.number} on {self.reviewed_at:%Y-%m-%d}"

    def signed_content(self) -> dict:
        return {
            "document": self.document.number,
            "version": self.version.revision if self.version_id else None,
            "version_sha256": self.version.file_sha256 if self.version_id else None,
            "outcome": self.outcome,
            "due_at": self.due_at,
            "comment": self.comment,
            "reviewed_by": self.reviewed_by_id,
            "reviewed_at": self.reviewed_at,
        }


class ReviewReminder(models.Model):
    """Bookkeeping of periodic-review reminders: one mail per document, due date and
    kind ("due soon", "overdue"), so the daily run never sends one twice."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    kind = models.CharField(max_length=20)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "due_at", "kind"], name="review_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.document_id} due {self.due_at:%Y-%m-%d}"


@audited
class SectionNote(models.Model):
    """L3: document control's short "what changed and why" for one section of a
    version, shown beside that section's redline in delta training. A note is about
    the version's text, not part of it: adding one does not touch the version's
    signed content, and notes may be added to an approved version."""

    version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="section_notes"
    )
    section = models.CharField(
        max_length=200, help_text="The section's heading as it appears in the text."
    )
    note = models.TextField(help_text="What changed in this section and why.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "section", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "section"], name="section_note_once")
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.section}"
