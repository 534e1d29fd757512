"""What every kind of legacy import shares: the outcome, the migration report row
(R2) and the rule that decides what is written.

An import reads and checks the whole file first, writing nothing. Then:

- `--dry-run`: nothing is written; the outcome says what would be created and why
  each refused row would be refused;
- `--all-or-nothing`: a single refused row means nothing is written;
- otherwise every valid row is written in one transaction and the refused ones are
  reported, each with its line and reason.

Except on a dry run, a `LegacyImport` row (the migration report) is stored in the
same transaction as the records, with the file's SHA-256, what was read, created,
skipped (already imported by an earlier run) and refused; QA verifies it by signing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.guards import require_perm
from qualify.training.models import LegacyImport


class Progress(Protocol):
    """A message now and then; with the count done and the count to do when known, so
    the command line can draw a bar with the time left (P142)."""

    def __call__(self, message: str, *, done: int | None = None, total: int | None = None):
        pass


@dataclass
class Outcome:
    kind: str
    file_name: str = ""
    sha256: str = ""
    encoding: str = ""
    source_system: str = ""
    rows_read: int = 0
    created: int = 0
    skipped: int = 0
    refusals: list[tuple[int, str]] = field(default_factory=list)
    # The file as a whole could not be read (encoding, columns): nothing was checked.
    problem: str = ""
    dry_run: bool = False
    all_or_nothing: bool = False
    applied: bool = False
    report: LegacyImport | None = None
    started_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def refused(self) -> int:
        return len(self.refusals)

    def refuse(self, line: int, message: str) -> None:
        self.refusals.append((line, message))

    def lines(self) -> list[str]:
        return [f"line {line}: {message}" for line, message in sorted(self.refusals)]

    @property
    def writes(self) -> bool:
        """Whether the valid rows are written."""
        if self.dry_run or self.problem:
            return False
        return not (self.all_or_nothing and self.refusals)

    def summary(self) -> str:
        if self.problem:
            return f"Nothing was imported: {self.problem}"
        verb = "would be created" if self.dry_run else "created"
        if not self.dry_run and not self.applied:
            verb = "would have been created; nothing was written (all or nothing)"
        return (
            f"{self.rows_read} row(s) read from {self.file_name} (SHA-256 {self.sha256[:16]}…): "
            f"{self.created} {verb}, {self.skipped} already imported, {self.refused} refused."
        )


def store_report(outcome: Outcome, *, actor: Any) -> LegacyImport:
    """The migration report, in the caller's transaction, with its audit event (A1)."""
    refusals = [[line, message] for line, message in sorted(outcome.refusals)]
    report = LegacyImport.objects.create(
        kind=outcome.kind,
        source_system=outcome.source_system,
        file_name=outcome.file_name,
        sha256=outcome.sha256,
        encoding=outcome.encoding,
        all_or_nothing=outcome.all_or_nothing,
        rows_read=outcome.rows_read,
        created=outcome.created if outcome.applied else 0,
        skipped=outcome.skipped,
        refused=outcome.refused,
        refusals=refusals,
        applied=outcome.applied,
        started_at=outcome.started_at,
        finished_at=timezone.now(),
        run_by=actor,
    )
    audit.record(
        "training.migration.reported",
        report,
        actor=actor,
        detail={"file": outcome.file_name, "sha256": outcome.sha256},
    )
    outcome.report = report
    return report


def report_verify(*, actor: Any, report: LegacyImport, credentials: Any, comment: str = ""):
    """QA verifies a migration report by signing it "verified" (S1): the signature
    binds the file's SHA-256 and every count and refusal, so it shows as broken if the
    report changes. The person who ran the import may not verify it (S2)."""
    from django.core.exceptions import ValidationError

    from qualify.signatures.services import authenticate_signer, sign, signatures_of

    require_perm(
        actor, "signatures.sign_verified", message="Only a QA approver can verify a migration."
    )
    if report.run_by_id == actor.pk:
        raise ValidationError("The person who ran the migration cannot verify its report.")
    if signatures_of(report).filter(meaning="verified").exists():
        raise ValidationError(f"Migration report {report.pk} is already verified.")
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="verified")
    with transaction.atomic():
        report = LegacyImport.objects.select_for_update().get(pk=report.pk)
        if signatures_of(report).filter(meaning="verified").exists():
            raise ValidationError(f"Migration report {report.pk} is already verified.")
        signature = sign(proof=proof, obj=report, meaning="verified", comment=comment)
        audit.record(
            "training.migration.verified",
            report,
            actor=actor,
            detail={"signature_id": signature.pk, "sha256": report.sha256},
        )
    return signature
