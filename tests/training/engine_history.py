"""Build training histories row by row for the engine tests.

The engine answers from rows, whichever service wrote them; these helpers write the
rows directly (with signatures carrying the real content hash, computed by the
signature service) so each test states exactly the history it is about.
"""

import datetime as dt
import itertools

from qualify.accounts.models import User
from qualify.documents.models import Document, DocumentVersion, VersionStatus
from qualify.org.models import JobAssignment, JobFunction, Person, Site
from qualify.signatures.models import Signature
from qualify.signatures.services import content_hash
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    Curriculum,
    CurriculumItem,
    Evidence,
    MatrixEntry,
    Method,
    RequalificationOrder,
    Requirement,
    TrainingRecord,
)

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
BROKEN = "0" * 64


def day(n: float, hours: float = 0) -> dt.datetime:
    return BASE + dt.timedelta(days=n, hours=hours)


class History:
    def __init__(self, *, allow_untrained: bool = False) -> None:
        self._n = itertools.count(1)
        n = next(self._n)
        self.site = Site.objects.create(
            code=f"S{n}", name="Plant", allow_untrained_documents=allow_untrained
        )
        self.owner = self.user("owner")

    def _next(self) -> int:
        return next(self._n)

    def user(self, name: str) -> User:
        n = self._next()
        return User.objects.create(username=f"{name}{n}", printed_name=name.title())

    def person(self, name: str = "p", *, with_user: bool = True) -> Person:
        n = self._next()
        return Person.objects.create(
            employee_number=f"E{n:05d}",
            full_name=f"{name.title()} {n}",
            site=self.site,
            user=self.user(name) if with_user else None,
        )

    def document(
        self,
        number: str | None = None,
        versions=((0, True),),
        *,
        obsolete_from=None,
        obsolete_recorded_at=None,
        store_baseline: bool = False,
    ) -> Document:
        """versions: (effective day, retraining_required[, approved day[, status]])."""
        document = Document.objects.create(
            number=number or f"SOP-{self._next():04d}",
            title="Procedure",
            doc_type="sop",
            owner=self.owner,
            site=self.site,
            created_at=BASE - dt.timedelta(days=400),
            obsolete_from=obsolete_from,
            obsolete_recorded_at=obsolete_recorded_at or obsolete_from,
        )
        baseline = None
        for sequence, spec in enumerate(versions, start=1):
            effective, retraining = spec[0], spec[1]
            approved = spec[2] if len(spec) > 2 and spec[2] is not None else effective
            status = spec[3] if len(spec) > 3 else VersionStatus.APPROVED
            effective_from = effective if isinstance(effective, dt.datetime) else day(effective)
            approved_at = approved if isinstance(approved, dt.datetime) else day(approved)
            version = DocumentVersion.objects.create(
                document=document,
                revision=str(sequence),
                sequence=sequence,
                status=status,
                change_summary="change",
                retraining_required=retraining,
                author=self.owner,
                created_at=BASE - dt.timedelta(days=300),
                approved_at=approved_at if status == VersionStatus.APPROVED else None,
                effective_from=effective_from if status == VersionStatus.APPROVED else None,
            )
            if status == VersionStatus.APPROVED and (retraining or baseline is None):
                baseline = version
            if store_baseline and status == VersionStatus.APPROVED:
                DocumentVersion.objects.filter(pk=version.pk).update(baseline=baseline)
        return document

    def version(self, document: Document, sequence: int) -> DocumentVersion:
        return document.versions.get(sequence=sequence)

    def requirement(
        self,
        document: Document | None = None,
        *,
        method: str = Method.READ_AND_UNDERSTAND,
        recurrence_months: int | None = None,
        evidence_required: str = Evidence.SIGNATURE,
        pass_mark=None,
        trainer_requirement: Requirement | None = None,
        active: bool = True,
    ) -> Requirement:
        return Requirement.objects.create(
            code=f"R{self._next():04d}",
            title="Requirement",
            method=method,
            document=document,
            recurrence_months=recurrence_months,
            evidence_required=evidence_required,
            pass_mark=pass_mark,
            trainer_requirement=trainer_requirement,
            active=active,
            created_at=BASE - dt.timedelta(days=300),
        )

    def record(
        self,
        person: Person,
        requirement: Requirement,
        *,
        completed: dt.datetime,
        recorded: dt.datetime | None = None,
        version: DocumentVersion | None = None,
        method: str | None = None,
        trainer: Person | None = None,
        evidence: str = Evidence.SIGNATURE,
        score=None,
        pass_mark=None,
        supersedes: TrainingRecord | None = None,
        sign: bool = True,
        trainer_sign: bool = True,
        signed_at: dt.datetime | None = None,
        broken: bool = False,
        meaning: str = "read_and_understood",
    ) -> TrainingRecord:
        if version is None and requirement.document_id is not None:
            version = requirement.document.versions.order_by("-sequence").first()
        recorded = recorded or completed
        record = TrainingRecord.objects.create(
            person=person,
            requirement=requirement,
            document_version=version,
            method=method or requirement.method,
            completed_at=completed,
            recorded_at=recorded,
            evidence=evidence,
            score=score,
            pass_mark=pass_mark,
            trainer=trainer,
            supersedes=supersedes,
            correction_reason="correction" if supersedes else "",
            entered_by=self.owner,
        )
        record.refresh_from_db()  # the hash is of the stored row (decimals, times)
        when = signed_at or recorded
        if sign and person.user is not None:
            self.signature(record, person.user, meaning, when, broken=broken)
        if trainer is not None and trainer_sign and trainer.user is not None:
            self.signature(record, trainer.user, "trained_by", when)
        return record

    def signature(self, record, user, meaning, when, *, broken: bool = False) -> Signature:
        return Signature.objects.create(
            signer=user,
            username=user.username,
            printed_name=user.printed_name,
            signed_at=when,
            meaning=meaning,
            object_type="training.trainingrecord",
            object_id=str(record.pk),
            content_hash=BROKEN if broken else content_hash(record),
        )

    def revoke(self, person, requirement, *, issued, recorded=None) -> RequalificationOrder:
        return RequalificationOrder.objects.create(
            person=person,
            requirement=requirement,
            issued_at=issued,
            recorded_at=recorded or issued,
            reason="deviation",
        )

    def function(self, code: str | None = None) -> JobFunction:
        return JobFunction.objects.create(code=code or f"JF{self._next()}", name="Job")

    def job(self, person, function, *, start, end=None, recorded=None, end_recorded=None):
        return JobAssignment.objects.create(
            person=person,
            job_function=function,
            valid_from=start,
            valid_to=end,
            recorded_at=recorded or start,
            end_recorded_at=end_recorded if end is not None else None,
        )

    def matrix(
        self,
        function,
        requirement=None,
        *,
        curriculum=None,
        start,
        end=None,
        recorded=None,
        end_recorded=None,
    ) -> MatrixEntry:
        return MatrixEntry.objects.create(
            job_function=function,
            requirement=requirement,
            curriculum=curriculum,
            valid_from=start,
            valid_to=end,
            reason="matrix",
            recorded_at=recorded or start,
            end_recorded_at=end_recorded if end is not None else None,
            created_by=self.owner,
        )

    def curriculum(self, *requirements) -> Curriculum:
        curriculum = Curriculum.objects.create(
            code=f"C{self._next()}", title="Curriculum", created_at=BASE
        )
        for position, requirement in enumerate(requirements, start=1):
            CurriculumItem.objects.create(
                curriculum=curriculum, requirement=requirement, position=position
            )
        return curriculum

    def assign(
        self,
        person,
        requirement,
        *,
        due,
        created=None,
        reason=AssignmentReason.COORDINATOR,
        status=AssignmentStatus.OPEN,
        closed=None,
    ) -> Assignment:
        return Assignment.objects.create(
            person=person,
            requirement=requirement,
            reason=reason,
            due_at=due,
            status=status,
            created_at=created or BASE,
            closed_at=closed,
        )
