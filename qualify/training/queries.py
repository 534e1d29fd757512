"""Reads for training: compliance summaries (Q6), transcripts, assignment lists.

Views, the API and the CLI call these; none of them writes.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from qualify.accounts import policy
from qualify.org import queries as org_queries
from qualify.org.models import JobAssignment, Person
from qualify.org.scoping import restrict
from qualify.signatures.models import Signature
from qualify.signatures.queries import verify_signature
from qualify.training.engine.required import effective_dated, open_at, overdue_at
from qualify.training.engine.sql import VERSION_DEFERRED
from qualify.training.models import Assignment, MatrixEntry, Requirement, TrainingRecord

GROUPINGS = {
    "department": ("department_id", "department__name"),
    "site": ("site_id", "site__name"),
    "job_function": ("job_function_id", "job_function__name"),
}


@dataclass(frozen=True)
class ComplianceRow:
    key: int | None
    name: str
    people: int
    compliant: int

    @property
    def non_compliant(self) -> int:
        return self.people - self.compliant

    @property
    def rate(self) -> float:
        return self.compliant / self.people if self.people else 1.0


def people_at(at: dt.datetime) -> QuerySet[Person]:
    """People employed at T: active, or deactivated only after T."""
    return Person.objects.filter(
        Q(active=True, deactivated_at__isnull=True) | Q(deactivated_at__gt=at)
    )


def compliance_summary(
    *, by: str = "department", at: dt.datetime, user: Any = None
) -> list[ComplianceRow]:
    """Q6 counted per department, site or job function (held at T) in one query.

    A person holding two job functions counts in both; a person with no department
    counts under "(none)". With `user`, only what that user may see (U2): the people
    and job functions of their clients, judged on their clients' assignments.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    key, name = GROUPINGS[by]
    employed = people_at(at)
    open_late = Assignment.objects.filter(overdue_at(at))
    if user is not None:
        employed = employed.filter(pk__in=org_queries.people(user).values("pk"))
        open_late = restrict(open_late, user, "requirement__client")
    # Issue 18: counted by the database (GROUP BY), not row by row in Python.
    if by == "job_function":
        late = Exists(open_late.filter(person_id=OuterRef("person_id")))
        held = JobAssignment.objects.filter(effective_dated(at, None), person__in=employed)
        if user is not None:
            held = restrict(held, user, "job_function__client")
        counted = held.values(key, name).annotate(
            people=Count("person_id", distinct=True),
            compliant=Count("person_id", distinct=True, filter=~late),
        )
    else:
        late = Exists(open_late.filter(person_id=OuterRef("pk")))
        counted = employed.values(key, name).annotate(
            people=Count("pk"), compliant=Count("pk", filter=~late)
        )
    return sorted(
        (
            ComplianceRow(row[key], row[name] or "(none)", row["people"], row["compliant"])
            for row in counted.order_by()
        ),
        key=lambda row: row.name,
    )


@dataclass(frozen=True)
class TranscriptLine:
    record: TrainingRecord
    superseded_by: TrainingRecord | None
    signatures: list  # SignatureCheck (signature, valid, reason)


def person_transcript(
    person: Person, *, user: Any = None, record: int | None = None, requirement: int | None = None
) -> list[TranscriptLine]:
    """Every training record of P, corrections included (R1), with each signature's
    manifestation and validity (S1), oldest first. With `user`, only the records that
    user may see (U2: those of their clients' requirements); with `record` or
    `requirement`, only the record of that id or the records of that requirement (each
    line as in the whole transcript)."""
    rows = TrainingRecord.objects.all() if user is None else training_records(user)
    if record is not None:
        rows = rows.filter(pk=record)
    if requirement is not None:
        rows = rows.filter(requirement_id=requirement)
    # Issue 18: no join for the person (known) nor for the correcting record (its id
    # as a subquery): PostgreSQL planned the seven-way join longer than it ran it.
    corrected_by = TrainingRecord.objects.filter(supersedes=OuterRef("pk")).values("pk")[:1]
    records = list(
        rows.filter(person=person)
        .select_related(None)
        .select_related("requirement", "document_version__document", "trainer")
        # A version's text (the whole procedure) is not a transcript's to show.
        .defer(*(f"document_version__{name}" for name in VERSION_DEFERRED))
        .annotate(corrected_by=Subquery(corrected_by))
        .order_by("completed_at", "pk")
    )
    by_pk = {row.pk: row for row in records}
    by_record = defaultdict(list)
    signatures = Signature.objects.filter(
        object_type=TrainingRecord._meta.label_lower, object_id__in=[str(pk) for pk in by_pk]
    ).order_by("signed_at", "pk")
    for signature in signatures:
        by_record[signature.object_id].append(signature)
    lines = []
    for row in records:
        row.person = person
        superseded_by = None
        if row.corrected_by is not None:
            # A correction the user may not see (another trainer's, or one not asked
            # for) is shown by its id.
            superseded_by = by_pk.get(row.corrected_by) or TrainingRecord(pk=row.corrected_by)
        checks = [verify_signature(s, row) for s in by_record[str(row.pk)]]
        lines.append(TranscriptLine(row, superseded_by, checks))
    return lines


def assignments(
    *,
    person: Person | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    due_before: dt.datetime | None = None,
    site=None,
    department=None,
    job_function=None,
    at: dt.datetime | None = None,
    user: Any = None,
) -> QuerySet[Assignment]:
    """Assignments filtered; `overdue` (G7: open and due before T, T default now) is
    derived, never stored. `job_function` means held by the person at T. With `user`,
    only the assignments that user may see (U2)."""
    at = at or timezone.now()
    qs = Assignment.objects if user is None else visible_assignments(user)
    # A version's texts (its whole text, change summary and justification) are never
    # shown in a list of assignments: 50 rows of a real plant's procedures are not read.
    qs = qs.select_related("person", "requirement", "document_version").defer(
        *(f"document_version__{name}" for name in VERSION_DEFERRED)
    )
    if person is not None:
        qs = qs.filter(person=person)
    if status:
        qs = qs.filter(status=status)
    if overdue is True:
        qs = qs.filter(overdue_at(at))
    elif overdue is False:
        qs = qs.exclude(overdue_at(at))
    if due_before is not None:
        qs = qs.filter(due_at__lt=due_before)
    if site is not None:
        qs = qs.filter(person__site=site)
    if department is not None:
        qs = qs.filter(person__department=department)
    if job_function is not None:
        # Issue 18: the holders are read once, not probed per assignment (a correlated
        # EXISTS that SQLite ran through the job function's index for each of 20,000
        # open assignments: 600 ms against 7 ms on the medium plant).
        held = JobAssignment.objects.filter(effective_dated(at, None), job_function=job_function)
        qs = qs.filter(person_id__in=held.values("person_id"))
    return qs.order_by("due_at", "pk")


# One queryset function per model, each applying the client restriction (U2): the
# only read path of the pages, the API and exports. An assignment or a record is its
# requirement's client's; a matrix entry its job function's.


def requirements(user: Any) -> QuerySet[Requirement]:
    return restrict(Requirement.objects.select_related("document", "client"), user)


def matrix_entries(user: Any) -> QuerySet[MatrixEntry]:
    return restrict(
        MatrixEntry.objects.select_related("job_function", "requirement", "curriculum"),
        user,
        "job_function__client",
    )


def visible_assignments(user: Any) -> QuerySet[Assignment]:
    """An employee (own reach, P15) sees only their own assignments."""
    rows = restrict(
        Assignment.objects.select_related("person", "requirement"), user, "requirement__client"
    )
    return policy.only_own(rows, user, policy.ASSIGNMENTS)


def training_records(user: Any) -> QuerySet[TrainingRecord]:
    """Employees see their own records, trainers also those they trained (P15)."""
    rows = restrict(
        TrainingRecord.objects.select_related(
            "person", "requirement", "document_version__document", "trainer"
        ),
        user,
        "requirement__client",
    )
    return policy.only_own(rows, user, policy.RECORDS, trainer="trainer")


__all__ = [
    "ComplianceRow",
    "TranscriptLine",
    "assignments",
    "compliance_summary",
    "matrix_entries",
    "open_at",
    "people_at",
    "person_transcript",
    "requirements",
    "training_records",
    "visible_assignments",
]
