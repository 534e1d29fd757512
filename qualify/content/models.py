"""E-learning packages and what learners do in them (issue 15).

A package is a controlled document (type "package"); each approved version's file is
the ZIP, unpacked once into ``MEDIA_ROOT/content/<version id>/`` and described by a
`ContentPackage` row. A learner plays a version in an `Attempt` (bound to their
assignment); SCORM run-time data arrives as `RuntimeCommit` rows (append-only: the
raw evidence, each as received, accepted or refused) and the latest accepted data
per SCO is kept in `ScoState` (what a resume reads). cmi5 AUs talk xAPI: every
`Statement` is kept (voiding is another statement, never a delete) and the state and
profile documents in `XapiDocument`. Completion becomes a signed TrainingRecord
(qualify.training) linked from the attempt.
"""

import uuid

from django.db import models
from django.db.models import Q

from qualify.audit.registry import audited
from qualify.documents.models import DocumentVersion
from qualify.org.models import Person
from qualify.training.models import Assignment, Requirement, TrainingRecord


class Kind(models.TextChoices):
    SCORM12 = "scorm12", "SCORM 1.2"
    SCORM2004 = "scorm2004", "SCORM 2004"
    CMI5 = "cmi5", "cmi5"


@audited
class ContentPackage(models.Model):
    version = models.OneToOneField(
        DocumentVersion, on_delete=models.PROTECT, related_name="content_package"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    edition = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    # qualify.content.manifest.Manifest.as_json(): items in launch order, warnings.
    manifest = models.JSONField()
    # Folder under MEDIA_ROOT holding the unpacked files.
    folder = models.CharField(max_length=200)
    zip_sha256 = models.CharField(max_length=64)
    unpacked_at = models.DateTimeField()

    class Meta:
        ordering = ["version"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} package of {self.version}"


class AttemptStatus(models.TextChoices):
    OPEN = "open", "In progress"
    COMPLETED = "completed", "Completed, awaiting the learner's signature"
    SIGNED = "signed", "Completed and signed"
    ABANDONED = "abandoned", "Abandoned"


@audited
class Attempt(models.Model):
    """One learner's attempt at one package version. cmi5's registration is the
    attempt's id in the xAPI world."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="content_attempts")
    package = models.ForeignKey(ContentPackage, on_delete=models.PROTECT, related_name="attempts")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    number = models.PositiveIntegerField()
    registration = models.UUIDField(default=uuid.uuid4, unique=True)
    status = models.CharField(
        max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.OPEN
    )
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    session_seconds = models.PositiveIntegerField(default=0)
    record = models.ForeignKey(
        TrainingRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["person", "package", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "package", "number"], name="content_attempt_number"
            ),
            models.UniqueConstraint(
                fields=["person", "package"],
                condition=Q(status__in=["open", "completed"]),
                name="content_one_live_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.person} on {self.package.version}"


class ScoState(models.Model):
    """The latest accepted run-time data of one SCO (or cmi5 AU) in an attempt: what a
    resume loads. Not audited row by row: every change is a RuntimeCommit kept
    unchanged as evidence, and the attempt's completion and signature are audited."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="scos")
    item = models.CharField(max_length=255)
    cmi = models.JSONField(default=dict)
    completion_status = models.CharField(max_length=20, blank=True)
    success_status = models.CharField(max_length=20, blank=True)
    score_scaled = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True)
    total_seconds = models.PositiveIntegerField(default=0)
    last_sequence = models.BigIntegerField(default=0)
    # The last session ended with a terminate commit (LMSFinish / Terminate).
    terminated = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "item"], name="content_sco_state_once")
        ]

    def __str__(self) -> str:
        return f"{self.item} in {self.attempt}"


class RuntimeCommit(models.Model):
    """A commit from the SCORM API adapter, as received (append-only evidence)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="commits")
    item = models.CharField(max_length=255)
    sequence = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField()
    body = models.JSONField()
    accepted = models.BooleanField()
    problems = models.JSONField(default=list)

    class Meta:
        ordering = ["attempt", "received_at", "pk"]

    def __str__(self) -> str:
        return f"Commit {self.pk} of {self.item}"


class Cmi5Session(models.Model):
    """One launch of a cmi5 AU: its session id, the one-time token (stored as a
    SHA-256, fetched once) and the LMS's view of the session."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="cmi5_sessions")
    au = models.CharField(max_length=500)
    session_id = models.UUIDField(default=uuid.uuid4, unique=True)
    fetch_key = models.CharField(max_length=64, unique=True)
    token_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    launched_at = models.DateTimeField()
    initialized_at = models.DateTimeField(null=True, blank=True)
    terminated_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"cmi5 session {self.session_id}"


class Statement(models.Model):
    """An xAPI statement as stored (xAPI 1.0.3, part 2, 2.4). Never changed or
    deleted: a voided statement is one a voiding statement names (`voids`)."""

    statement_id = models.UUIDField(unique=True)
    attempt = models.ForeignKey(
        Attempt, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    registration = models.UUIDField(null=True, blank=True, db_index=True)
    agent_key = models.CharField(max_length=500, db_index=True)
    verb = models.CharField(max_length=500, db_index=True)
    activity_id = models.CharField(max_length=2000, blank=True)
    voids = models.UUIDField(null=True, blank=True, db_index=True)
    body = models.JSONField()
    stored = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-stored", "-pk"]

    def __str__(self) -> str:
        return str(self.statement_id)


class DocumentKind(models.TextChoices):
    STATE = "state", "State"
    ACTIVITY_PROFILE = "activity_profile", "Activity profile"
    AGENT_PROFILE = "agent_profile", "Agent profile"


class XapiDocument(models.Model):
    """A state, activity profile or agent profile document (xAPI 1.0.3, part 3, 2.2)."""

    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    activity_id = models.CharField(max_length=2000, blank=True)
    agent_key = models.CharField(max_length=500, blank=True)
    registration = models.CharField(max_length=36, blank=True)
    document_id = models.CharField(max_length=500)
    content = models.BinaryField()
    content_type = models.CharField(max_length=200)
    etag = models.CharField(max_length=64)
    updated = models.DateTimeField()
    attempt = models.ForeignKey(
        Attempt, null=True, blank=True, on_delete=models.PROTECT, related_name="xapi_documents"
    )

    class Meta:
        indexes = [
            models.Index(fields=["kind", "agent_key", "document_id"], name="xapi_document_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id}"


# --- authoring light (issue 15, point 5) ----------------------------------------------


class Standard(models.TextChoices):
    """What an authored course is exported as."""

    CMI5 = "cmi5", "cmi5"
    SCORM2004 = "scorm2004", "SCORM 2004 4th edition"


@audited
class Course(models.Model):
    """A course authored in Qualify for plants without an authoring tool: pages of text
    and images, and an assessment drawn from an approved question bank. It is a draft
    workspace; what learners play is its export, published as a new version of its
    package document (type "package"), which is reviewed and approved like any package
    (qualify.content.authoring)."""

    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    site = models.ForeignKey(
        "org.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(
        "org.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The question bank document (type "qbank") whose version in force is exported as
    # the course's assessment; none: a course without an assessment.
    bank = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2, default=80)
    # The package document the course is published to (made at the first publication).
    package_document = models.ForeignKey(
        "documents.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authored_courses",
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


def course_image_path(page: "CoursePage", filename: str) -> str:
    return f"content/authoring/course-{page.course_id}/{uuid.uuid4().hex}-{filename}"


@audited
class CoursePage(models.Model):
    """One page of an authored course: a title, Markdown text and at most one image,
    uploaded (checked by its bytes) or taken from a controlled document whose version
    file is an image. A removed page is kept, marked removed (nothing is deleted)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="pages")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    image = models.FileField(upload_to=course_image_path, blank=True)
    image_type = models.CharField(max_length=40, blank=True)
    image_sha256 = models.CharField(max_length=64, blank=True)
    image_alt = models.CharField(max_length=300, blank=True)
    image_source = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["course", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.course}: {self.title}"
