"""Historical training records from a legacy LMS (R2, T1, Q1).

Columns: employee_number, requirement (code), completed_at (attested: an ISO time
with its UTC offset, or a local time with the time_zone column), time_zone, method
(default: the requirement's), trainer (employee number; needed for classroom and
on-the-job), document and revision (for a document-linked requirement; default: the
version in force at completed_at, Q1), score, evidence, source_system (default: the
--source option), notes.

Every record is marked as migrated: source system, file, row and the file's SHA-256
(R2). It carries no signature of Qualify, so it is never shown or counted as signed
here. A record already imported from the same source (same person, requirement and
completion time) is skipped, so re-running the same file creates nothing twice (a
database constraint holds it too).

Checked before anything is written, each refused row with its reason: an unknown
person, requirement or trainer; a time without its zone, unreadable or in the future
(T1); a trainee as their own trainer (S2); no version in force at that time; the
same record twice in the file.

Speed: people, requirements, versions and the records already imported are read once
each; records are inserted in chunks with one audit append per chunk (P17).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from qualify.api.csv_import import Refused
from qualify.api.legacy.common import Outcome, Progress, store_report
from qualify.api.legacy.reading import attested_time, read_table
from qualify.audit import services as audit
from qualify.documents.models import DocumentVersion, VersionStatus
from qualify.guards import require_perm
from qualify.org.queries import people as visible_people
from qualify.org.scoping import restrict
from qualify.training.models import (
    TRAINER_METHODS,
    Evidence,
    LegacyKind,
    Method,
    Requirement,
    TrainingRecord,
)

COLUMNS = [
    "employee_number",
    "requirement",
    "completed_at",
    "time_zone",
    "method",
    "trainer",
    "document",
    "revision",
    "score",
    "evidence",
    "source_system",
    "notes",
]
REQUIRED = {"employee_number", "requirement", "completed_at"}
CHUNK = 2000
PROGRESS_EVERY = 10_000
# T1: the clock-skew allowance for an attested time.
SKEW = dt.timedelta(minutes=5)

METHODS = {m.value: m.value for m in Method} | {m.label.lower(): m.value for m in Method}
EVIDENCE = {e.value: e.value for e in Evidence} | {e.label.lower(): e.value for e in Evidence}


class _Checker:
    def __init__(self, actor: Any, sources: set[str]) -> None:
        self.people = {
            number.lower(): pk
            for pk, number in visible_people(actor).values_list("pk", "employee_number")
        }
        self.requirements = {
            r.code.lower(): r for r in restrict(Requirement.objects.all(), actor).iterator()
        }
        self.versions: dict[int, list[DocumentVersion]] = {}
        linked = {r.document_id for r in self.requirements.values() if r.document_id}
        for v in (
            DocumentVersion.objects.filter(document_id__in=linked, status=VersionStatus.APPROVED)
            .select_related("document")
            .order_by("document_id", "sequence")
        ):
            self.versions.setdefault(v.document_id, []).append(v)
        self.done = set(
            TrainingRecord.objects.filter(migrated_source__in=sources).values_list(
                "person_id", "requirement_id", "completed_at", "migrated_source"
            )
        )
        self.seen: dict[tuple, int] = {}
        self.now = timezone.now()

    def version(self, requirement: Requirement, at: dt.datetime, revision: str, document: str):
        versions = self.versions.get(requirement.document_id, [])
        number = requirement.document.number
        if document and document.lower() != number.lower():
            raise ValueError(
                f"document: {requirement.code} is the training on {number}, not {document!r}."
            )
        if revision:
            found = [v for v in versions if v.revision.lower() == revision.lower()]
            if not found:
                raise ValueError(f"revision: {number} has no approved revision {revision!r}.")
            return found[0]
        in_force = [
            v
            for v in versions
            if v.effective_from is not None
            and v.effective_from <= at
            and (v.effective_to is None or at < v.effective_to)
        ]
        if not in_force:
            raise ValueError(
                f"completed_at: no version of {number} was in force at "
                f"{at:%Y-%m-%d %H:%M} UTC; give the revision trained on."
            )
        return in_force[-1]

    def row(self, line: int, row: dict[str, str], default_source: str):
        """A TrainingRecord to create, None when already imported; ValueError with the
        row's reason when refused."""
        if "\x00" in row:
            raise ValueError("more values than there are columns.")
        number = row.get("employee_number", "")
        person = self.people.get(number.lower())
        if person is None:
            raise ValueError(
                f"employee_number: no person {number!r}."
                if number
                else "employee_number: this field is required."
            )
        code = row.get("requirement", "")
        requirement = self.requirements.get(code.lower())
        if requirement is None:
            raise ValueError(
                f"requirement: no training requirement {code!r}."
                if code
                else "requirement: this field is required."
            )
        try:
            completed = attested_time(row.get("completed_at", ""), row.get("time_zone", ""))
        except ValueError as exc:
            raise ValueError(f"completed_at: {exc}") from None
        completed = completed.astimezone(dt.UTC)
        if completed > self.now + SKEW:
            raise ValueError(
                f"completed_at: {completed:%Y-%m-%d %H:%M} UTC is in the future; a record "
                "of past training cannot be dated later than now."
            )
        method_text = row.get("method", "").lower()
        method = METHODS.get(method_text) if method_text else requirement.method
        if method is None:
            names = ", ".join(m.value for m in Method)
            raise ValueError(f"method: {row['method'][:30]!r} is not one of {names}.")
        trainer = None
        trainer_number = row.get("trainer", "")
        if trainer_number:
            trainer = self.people.get(trainer_number.lower())
            if trainer is None:
                raise ValueError(f"trainer: no person {trainer_number!r}.")
            if trainer == person:
                raise ValueError("trainer: a trainee cannot be their own trainer.")
        elif method in TRAINER_METHODS:
            raise ValueError(f"trainer: a {Method(method).label.lower()} record names its trainer.")
        version = None
        if requirement.document_id:
            version = self.version(
                requirement, completed, row.get("revision", ""), row.get("document", "")
            )
        score = None
        if row.get("score"):
            try:
                score = Decimal(row["score"].replace(",", "."))
            except InvalidOperation:
                raise ValueError(f"score: {row['score'][:20]!r} is not a number.") from None
            if not 0 <= score <= 100:
                raise ValueError("score: give a score from 0 to 100.")
        evidence_text = row.get("evidence", "").lower()
        if evidence_text:
            evidence = EVIDENCE.get(evidence_text)
            if evidence is None:
                raise ValueError(
                    f"evidence: {row['evidence'][:30]!r} is not one of "
                    f"{', '.join(e.value for e in Evidence)}."
                )
        elif method == Method.ON_THE_JOB:
            evidence = Evidence.DEMONSTRATION
        elif score is not None:
            evidence = Evidence.ASSESSMENT
        else:
            evidence = Evidence.SIGNATURE
        source = row.get("source_system", "") or default_source
        if not source:
            raise ValueError("source_system: name the legacy system (or give --source).")
        if len(source) > 80:
            raise ValueError("source_system: at most 80 characters.")
        key = (person, requirement.pk, completed, source)
        if key in self.seen:
            raise ValueError(f"the same record is on line {self.seen[key]}.")
        self.seen[key] = line
        if key in self.done:
            return None
        return TrainingRecord(
            person_id=person,
            requirement_id=requirement.pk,
            document_version=version,
            method=method,
            completed_at=completed,
            recorded_at=self.now,
            attested_at=completed,
            evidence=evidence,
            score=score,
            pass_mark=requirement.pass_mark,
            trainer_id=trainer,
            notes=row.get("notes", "")[:2000],
            entered_by_id=None,
            migrated_source=source,
            migrated_row=line,
        )


def import_training(
    *,
    actor: Any,
    path: str,
    source_system: str = "",
    dry_run: bool = False,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    encoding: str = "",
) -> Outcome:
    say = progress or (lambda message, **counts: None)
    outcome = Outcome(
        kind=LegacyKind.TRAINING,
        source_system=source_system,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
    )
    try:
        require_perm(
            actor,
            "training.import_legacy",
            message="Only a training coordinator can import training history.",
        )
    except PermissionDenied as exc:
        outcome.problem = str(exc)
        return outcome
    try:
        table = read_table(path, columns=COLUMNS, required=REQUIRED, encoding=encoding)
    except Refused as exc:
        outcome.problem = str(exc)
        return outcome
    outcome.file_name, outcome.sha256, outcome.encoding = table.name, table.sha256, table.encoding
    outcome.rows_read = len(table.rows)
    sources = {row.get("source_system", "") for _, row in table.rows} | {source_system}
    checker = _Checker(actor, sources - {""})
    records: list[TrainingRecord] = []
    for n, (line, row) in enumerate(table.rows, start=1):
        try:
            record = checker.row(line, row, source_system)
        except ValueError as exc:
            outcome.refuse(line, str(exc))
        else:
            if record is None:
                outcome.skipped += 1
            else:
                records.append(record)
        if n % PROGRESS_EVERY == 0:
            say(f"checked {n} of {outcome.rows_read} rows", done=n, total=outcome.rows_read)
    outcome.created = len(records)
    if not outcome.source_system:
        outcome.source_system = ", ".join(sorted({r.migrated_source for r in records})) or "-"
    if outcome.dry_run:
        return outcome
    with transaction.atomic():
        outcome.applied = outcome.writes
        report = store_report(outcome, actor=actor)
        if outcome.applied:
            _write(records, report, table, actor, say)
    return outcome


def _write(records, report, table, actor, say) -> None:
    for record in records:
        record.entered_by_id = actor.pk
        record.migrated_file = table.name
        record.migrated_sha256 = table.sha256
        record.migration_id = report.pk
    reason = f"Migrated from {report.source_system} ({table.name}), report {report.pk}"
    for start in range(0, len(records), CHUNK):
        chunk = TrainingRecord.objects.bulk_create(records[start : start + CHUNK])
        audit.record_many(
            audit.pending("training.record.migrated", r, actor=actor, reason=reason) for r in chunk
        )
        done = start + len(chunk)
        if done % PROGRESS_EVERY < CHUNK or done == len(records):
            say(f"wrote {done} of {len(records)} records", done=done, total=len(records))
