"""Training: requirements, curricula, the matrix, assignments and records (Q3-Q8, G1-G7, R1).

Times: `completed_at` is when training happened (T1: attested for classroom and
on-the-job, otherwise the server's time); `recorded_at` is when the system learnt
it (Q7). Every row that an "as known at" answer depends on carries such a time.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from qualify.audit.registry import audited
from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Client, JobFunction, Person


class Method(models.TextChoices):
    READ_AND_UNDERSTAND = "read", "Read and understand"
    ELEARNING = "elearning", "E-learning with assessment"
    CLASSROOM = "classroom", "Classroom session"
    ON_THE_JOB = "ojt", "On-the-job qualification"
    EXTERNAL = "external", "External certificate"


TRAINER_METHODS = {Method.CLASSROOM, Method.ON_THE_JOB}


class Evidence(models.TextChoices):
    """Q8: how understanding was verified, in increasing strength."""

    SIGNATURE = "signature", "Signature only"
    ASSESSMENT = "assessment", "Assessment score against pass mark"
    DEMONSTRATION = "demonstration", "Observed demonstration"


@audited
class Requirement(models.Model):
    code = models.CharField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    method = models.CharField(max_length=20, choices=Method.choices)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="requirements"
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="requirements"
    )
    recurrence_months = models.PositiveIntegerField(null=True, blank=True)
    evidence_required = models.CharField(
        max_length=20, choices=Evidence.choices, default=Evidence.SIGNATURE
    )
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # Q4: for classroom and on-the-job, the trainer must be qualified on this
    # requirement at the time of the training.
    trainer_requirement = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checklist = models.TextField(blank=True, help_text="On-the-job: the practical's checklist.")
    # Q10: after a record expires (recurrence), the person stays qualified "in grace"
    # for this many days while their retraining is open. Zero: no grace.
    grace_days = models.PositiveIntegerField(
        default=0,
        help_text="Days a person stays qualified (in grace) after expiry while "
        "retraining is open; 0 for none.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        permissions = [("manage_requirements", "Can define training requirements and curricula")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


@audited
class Curriculum(models.Model):
    code = models.CharField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


@audited
class CurriculumItem(models.Model):
    curriculum = models.ForeignKey(Curriculum, on_delete=models.PROTECT, related_name="items")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    prerequisite = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["curriculum", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["curriculum", "requirement"], name="curriculum_requirement_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.requirement.code}"


@audited
class MatrixEntry(models.Model):
    """Job function J requires requirement R (or every item of curriculum C) over
    [valid_from, valid_to); holders get `window_days` to complete (G1, G2)."""

    job_function = models.ForeignKey(
        JobFunction, on_delete=models.PROTECT, related_name="matrix_entries"
    )
    requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="matrix_entries"
    )
    curriculum = models.ForeignKey(
        Curriculum, null=True, blank=True, on_delete=models.PROTECT, related_name="matrix_entries"
    )
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    window_days = models.PositiveIntegerField(default=30)
    reason = models.TextField()
    recorded_at = models.DateTimeField()
    end_recorded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "matrix entries"
        permissions = [("change_matrix", "Can propose training matrix changes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(requirement__isnull=False, curriculum__isnull=True)
                | Q(requirement__isnull=True, curriculum__isnull=False),
                name="matrix_entry_one_target",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="matrix_entry_interval_not_empty",
            ),
        ]

    def __str__(self) -> str:
        target = self.requirement or self.curriculum
        return f"{self.job_function.code} requires {target.code} from {self.valid_from:%Y-%m-%d}"

    def signed_content(self) -> dict:
        """What QA's approval vouches for: the entry as proposed. Ending it later
        (valid_to, end_recorded_at) is its own audited change and must not break the
        approval signature."""
        return {
            "job_function": self.job_function_id,
            "requirement": self.requirement_id,
            "curriculum": self.curriculum_id,
            "valid_from": self.valid_from,
            "window_days": self.window_days,
            "reason": self.reason,
            "created_by": self.created_by_id,
        }

    def signature_conflict(self, user, meaning: str) -> str | None:
        if meaning == "approved" and user.pk == self.created_by_id:
            return "The proposer of a matrix change cannot approve it."
        return None


class AssignmentReason(models.TextChoices):
    MATRIX = "matrix", "Training matrix"
    REVISION = "revision", "Document revision"
    RECURRENCE = "recurrence", "Periodic retraining"
    ROLE_CHANGE = "role_change", "New job function"
    QUALITY_EVENT = "quality_event", "Quality event"
    COORDINATOR = "coordinator", "Assigned by a coordinator"


class AssignmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    SUPERSEDED = "superseded", "Superseded"
    CANCELLED = "cancelled", "Cancelled"


@audited
class Assignment(models.Model):
    """G7: open, completed, superseded or cancelled; overdue is derived, never stored."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="assignments"
    )
    document_version = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=AssignmentReason.choices)
    reason_text = models.CharField(max_length=300, blank=True)
    # What made this assignment: "training.matrixentry:12", "quality.capaaction:3"…
    source = models.CharField(max_length=120, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.OPEN
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    record = models.ForeignKey(
        "TrainingRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "requirement"],
                condition=Q(status="open"),
                name="one_open_assignment_per_person_requirement",
            )
        ]
        indexes = [
            # created_at too: "open at T and due before T" (overdue_at) is then counted
            # from the index alone, not by reading each open assignment's row (20,000
            # overdue on the medium plant: 7.8 -> 2.4 ms on SQLite, issue 18).
            models.Index(
                fields=["status", "due_at", "created_at"], name="assignment_status_due_created"
            ),
            models.Index(fields=["source"], name="assignment_source"),
            # Issue 18: the assignments page's first 50 in this order, read from the
            # index instead of sorting every assignment.
            models.Index(fields=["due_at", "id"], name="assignment_due_order"),
            # One person's open assignments in due order (employee home, person page):
            # without it SQLite walks assignment_status_due over every open assignment
            # of the plant and filters the person out of them.
            models.Index(fields=["person", "status", "due_at"], name="assignment_person_open_due"),
        ]
        permissions = [("assign_training", "Can assign training individually")]

    def __str__(self) -> str:
        return f"{self.requirement.code} for {self.person} due {self.due_at:%Y-%m-%d}"


@audited
class TrainingRecord(models.Model):
    """R1: immutable. A correction is a new record that supersedes this one."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="training_records")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="records")
    document_version = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    method = models.CharField(max_length=20, choices=Method.choices)
    completed_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    attested_at = models.DateTimeField(
        null=True, blank=True, help_text="T1: when the trainer attests the training took place."
    )
    late_entry = models.BooleanField(default=False)
    evidence = models.CharField(max_length=20, choices=Evidence.choices)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    trainer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="trained_records"
    )
    evidence_file = models.FileField(upload_to="training/evidence/", blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    notes = models.TextField(blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    correction_reason = models.TextField(blank=True)
    # L3: the read-and-understand viewer showed the changes against this version (the
    # version the person was last trained on). The signature covers the version read
    # (document_version); this notes only what the page showed beside it.
    delta_from = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # R2: a record imported from a legacy system names where it came from: the source
    # system, the file, its row (line) and the SHA-256 of the whole file, and the
    # migration that brought it. Empty for records made in Qualify. A migrated record
    # carries no signature of Qualify, so it is never shown or counted as signed
    # here unless someone signs it here.
    migrated_source = models.CharField(max_length=80, blank=True)
    migrated_file = models.CharField(max_length=255, blank=True)
    migrated_row = models.PositiveIntegerField(null=True, blank=True)
    migrated_sha256 = models.CharField(max_length=64, blank=True)
    migration = models.ForeignKey(
        "LegacyImport", null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )

    class Meta:
        ordering = ["completed_at", "pk"]
        indexes = [
            models.Index(fields=["person", "requirement", "completed_at"], name="record_lookup"),
            models.Index(fields=["requirement", "completed_at"], name="record_requirement"),
        ]
        constraints = [
            # Re-running a legacy import creates nothing twice: one migrated record per
            # person, requirement, completion time and source system.
            models.UniqueConstraint(
                fields=["person", "requirement", "completed_at", "migrated_source"],
                condition=~Q(migrated_source=""),
                name="migrated_record_once",
            )
        ]
        permissions = [("record_training", "Can enter training records for others")]

    def __str__(self) -> str:
        return f"{self.requirement.code} by {self.person} at {self.completed_at:%Y-%m-%d}"

    @property
    def is_migrated(self) -> bool:
        return bool(self.migrated_source)

    @property
    def migration_label(self) -> str:
        """R2, in words: "Migrated from LMS-X (records.csv, row 12)"."""
        if not self.migrated_source:
            return ""
        return (
            f"Migrated from {self.migrated_source} ({self.migrated_file}, row "
            f"{self.migrated_row}); not signed in Qualify"
        )

    def audit_state(self) -> dict:
        """Every concrete field by column name, with the evidence file as its stored
        name: an empty FieldFile has no canonical form of its own."""
        state = {f.attname: f.value_from_object(self) for f in self._meta.concrete_fields}
        state["evidence_file"] = self.evidence_file.name or ""
        return state

    def signed_content(self) -> dict:
        return {
            "person": self.person_id,
            "requirement": self.requirement_id,
            "document_version": self.document_version_id,
            "method": self.method,
            "completed_at": self.completed_at,
            "attested_at": self.attested_at,
            "evidence": self.evidence,
            "score": self.score,
            "pass_mark": self.pass_mark,
            "trainer": self.trainer_id,
            "evidence_sha256": self.evidence_sha256,
            "supersedes": self.supersedes_id,
        }

    def signature_conflict(self, user, meaning: str) -> str | None:
        if meaning == "trained_by" and self.person.user_id == user.pk:
            return "A trainee cannot be their own trainer."
        return None


@audited
class RequalificationOrder(models.Model):
    """G5/Q4: revokes P's qualification on R from issued_at until P completes it again."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="requalifications")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    reason = models.TextField()
    source = models.CharField(max_length=120, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["person", "requirement"], name="requal_lookup")]

    def __str__(self) -> str:
        return f"Requalification of {self.person} on {self.requirement.code}"


class LegacyKind(models.TextChoices):
    PEOPLE = "people", "People and job history"
    DOCUMENTS = "documents", "Documents and their versions"
    MATRIX = "matrix", "Training matrix"
    TRAINING = "training", "Historical training records"


@audited
class LegacyImport(models.Model):
    """The migration report of one legacy file (R2, Part 11 migration verification):
    what was read, created, skipped as already imported and refused (each refused row
    with its reason), the file's SHA-256, and who ran it. QA signs it "verified"."""

    kind = models.CharField(max_length=20, choices=LegacyKind.choices)
    source_system = models.CharField(max_length=80)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    encoding = models.CharField(max_length=40, blank=True)
    all_or_nothing = models.BooleanField(default=False)
    rows_read = models.PositiveIntegerField()
    created = models.PositiveIntegerField()
    skipped = models.PositiveIntegerField(help_text="Rows imported by an earlier run.")
    refused = models.PositiveIntegerField()
    # [[line, reason], ...] for every refused row, in line order.
    refusals = models.JSONField(default=list)
    applied = models.BooleanField(help_text="False when nothing was written.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["sha256"], name="legacy_import_sha256")]
        permissions = [("import_legacy", "Can import legacy data (go-live migration)")]

    def __str__(self) -> str:
        return f"Migration {self.pk}: {self.get_kind_display()} from {self.file_name}"

    def signed_content(self) -> dict:
        return {
            "kind": self.kind,
            "source_system": self.source_system,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "created": self.created,
            "skipped": self.skipped,
            "refused": self.refused,
            "refusals": self.refusals,
            "applied": self.applied,
            "started_at": self.started_at,
            "run_by": self.run_by_id,
        }

    def signature_conflict(self, user, meaning: str) -> str | None:
        if meaning == "verified" and user.pk == self.run_by_id:
            return "The person who ran the migration cannot verify its report."
        return None


@audited
class OnboardingPlan(models.Model):
    """A new hire's learning path, generated from their job functions (issue 14):
    every requirement they must hold, prerequisites first, each with a target date.
    Generating it again makes a new plan; the latest is the one shown."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="onboarding_plans")
    starts_at = models.DateTimeField(help_text="The first day the targets count from.")
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-generated_at", "-pk"]

    def __str__(self) -> str:
        return f"Onboarding of {self.person} from {self.starts_at:%Y-%m-%d}"


@audited
class OnboardingStep(models.Model):
    plan = models.ForeignKey(OnboardingPlan, on_delete=models.PROTECT, related_name="steps")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    target_at = models.DateTimeField()
    prerequisite = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    job_function = models.ForeignKey(
        JobFunction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    curriculum = models.ForeignKey(
        Curriculum, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "requirement"], name="onboarding_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.requirement.code} by {self.target_at:%Y-%m-%d}"


# Certificates and classroom sessions live in their own module (file size); importing
# them here is how Django finds them in this app.
from qualify.training.models_completion import (  # noqa: E402, F401
    CertificateStatus,
    ClassSession,
    Enrolment,
    EnrolmentStatus,
    ExternalCertificate,
    SessionStatus,
    SigningWindow,
    VersionReading,
)
