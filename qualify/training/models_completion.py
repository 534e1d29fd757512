"""Completion methods beyond reading: external certificates verified by a coordinator,
and classroom sessions with a room, capacity, enrolment and a signing window.

Imported at the end of `qualify.training.models`, so Django finds the models in the
training app. Their services are `qualify.training.services.certificates` and
`qualify.training.services.sessions`.

- An external certificate is submitted (by the person, or a coordinator for them),
  then verified by a coordinator, who signs it "verified" (Part 11). Only then a
  TrainingRecord is made; the person signs that record (completed_training), which is
  the trainee's signature Q4 needs, and it counts from then on.
- A classroom session is scheduled with a room and a capacity; people are enrolled
  within the capacity (`seats_taken <= capacity` is a database constraint). The trainer
  opens a signing window: a random token, stored only as its SHA-256, valid for a
  limited time, bound to the session and its room. Each enrolled attendee signs on
  the kiosk in the room (user id and password) or on their own device; that makes
  their TrainingRecord, signed by them. The trainer closes the session by signing
  trained_by on every attendee's record, which completes their assignments.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from qualify.audit.registry import audited
from qualify.org.models import Person, Site


class CertificateStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted, awaiting verification"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


@audited
class ExternalCertificate(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="external_certificates"
    )
    requirement = models.ForeignKey(
        "training.Requirement", on_delete=models.PROTECT, related_name="certificates"
    )
    issuer = models.CharField(max_length=200)
    course = models.CharField(max_length=300, blank=True)
    certificate_number = models.CharField(max_length=100, blank=True)
    # T1: when the training was completed, as the certificate states it (attested).
    completed_at = models.DateTimeField()
    valid_until = models.DateField(null=True, blank=True)
    file = models.FileField(upload_to="training/certificates/")
    content_type = models.CharField(max_length=60)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=CertificateStatus.choices, default=CertificateStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    record = models.OneToOneField(
        "training.TrainingRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificate",
    )

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        permissions = [("verify_certificate", "Can verify external training certificates")]
        constraints = [
            # A decision names when it was made.
            models.CheckConstraint(
                condition=Q(status="submitted") | Q(decided_at__isnull=False),
                name="certificate_decision_dated",
            ),
            # A verified certificate is a record; the others are not.
            models.CheckConstraint(
                condition=Q(status="verified", record__isnull=False)
                | (~Q(status="verified") & Q(record__isnull=True)),
                name="certificate_record_iff_verified",
            ),
        ]

    def __str__(self) -> str:
        return f"Certificate {self.pk}: {self.requirement.code} for {self.person}"

    def audit_state(self) -> dict:
        state = {f.attname: f.value_from_object(self) for f in self._meta.concrete_fields}
        state["file"] = self.file.name or ""
        return state

    def signed_content(self) -> dict:
        """What the verifier vouches for: the certificate as submitted (its bytes by
        their SHA-256), not the status their signature changes."""
        return {
            "person": self.person_id,
            "requirement": self.requirement_id,
            "issuer": self.issuer,
            "course": self.course,
            "certificate_number": self.certificate_number,
            "completed_at": self.completed_at,
            "valid_until": self.valid_until,
            "sha256": self.sha256,
            "submitted_by": self.submitted_by_id,
        }

    def signature_conflict(self, user, meaning: str) -> str | None:
        if meaning == "certificate_verified" and self.person.user_id == user.pk:
            return "Nobody verifies their own certificate."
        return None


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held and signed by the trainer"
    CANCELLED = "cancelled", "Cancelled"


@audited
class ClassSession(models.Model):
    requirement = models.ForeignKey(
        "training.Requirement", on_delete=models.PROTECT, related_name="sessions"
    )
    trainer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sessions_given")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    room = models.CharField(max_length=120)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    seats_taken = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            # Capacity is enforced by the database, whatever the caller.
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="session_within_capacity"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_interval_not_empty"
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="session_status_start")]

    def __str__(self) -> str:
        return f"{self.requirement.code} in {self.room} at {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    WITHDRAWN = "withdrawn", "Withdrawn"


@audited
class Enrolment(models.Model):
    session = models.ForeignKey(ClassSession, on_delete=models.PROTECT, related_name="enrolments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(
        max_length=20, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED
    )
    enrolled_at = models.DateTimeField()
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Attendance: the attendee's own signed record, and where they signed.
    record = models.OneToOneField(
        "training.TrainingRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolment",
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_on = models.CharField(max_length=20, blank=True)  # "kiosk" or "own device"

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=Q(status="enrolled"),
                name="one_enrolment_per_session_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.session}"


@audited
class SigningWindow(models.Model):
    """A time-limited signing window for one session in one room. The token is shown
    once (the kiosk's address); only its SHA-256 is stored."""

    session = models.ForeignKey(
        ClassSession, on_delete=models.PROTECT, related_name="signing_windows"
    )
    room = models.CharField(max_length=120)
    token_sha256 = models.CharField(max_length=64, unique=True)
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("opened_at")), name="window_interval_not_empty"
            )
        ]

    def __str__(self) -> str:
        return f"Signing window {self.pk} for {self.session}"

    def is_open(self, now) -> bool:
        return self.closed_at is None and self.opened_at <= now < self.expires_at


@audited
class VersionReading(models.Model):
    """E-learning: the person read this document version in the viewer (they said so
    after opening it), which opens its assessment. One row per person and version; the
    signed, passed assessment is the training record."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="readings")
    document_version = models.ForeignKey(
        "documents.DocumentVersion", on_delete=models.PROTECT, related_name="+"
    )
    requirement = models.ForeignKey(
        "training.Requirement", on_delete=models.PROTECT, related_name="+"
    )
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["-read_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "document_version"], name="one_reading_per_person_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} read {self.document_version}"
