"""Scale data sets (`qualify seed --scale medium|large`), built set-based.

A medium plant has 10,000 people and 2,000 documents; a large one 50,000 and 10,000,
with 2.5 million training records. Replaying that through the services one call at a
time would take hours (every signature checks an Argon2 password), so the rows are
written with bulk_create in chunks, one transaction per table, and each row gets its
audit event in the same transaction through the same path the fan-out services use
(`audit.pending` on the row as stored, then `audit.record_many`, chunked). The events
say what happened: action `seed.row.loaded`, naming the data set and seed, so nobody
mistakes a bulk load for work done through a screen. `qualify audit verify` holds on
the result like on any other database (A4: every row has its event and its hash).

What is built, deterministically for a seed (history dates are fixed, from BASE):

* sites, departments, job functions; people, each with a user account (unusable
  password: scale accounts never sign in) and one job function, some two;
* documents with two approved versions each (the second editorial for half of them),
  baselines stored as approval stores them (Q2); one read-and-understand requirement
  per document; matrix entries: each job function requires `requirements_per_function`
  requirements;
* training records on requirements of the person's job function, bound to the version
  effective when completed, each with the trainee's "read and understood" signature
  whose content hash is taken from the stored row (S1);
* requalification orders on every 50th record, and open assignments (some overdue at
  AT) for required training not yet recorded.

The qualification benchmark (bench/qualification.py) builds its plant with this module.
"""

import datetime as dt
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from qualify.audit import services as audit
from qualify.postgresql.maintenance import after_bulk_load

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
# The instant the data set describes best: records and revisions fall before it,
# about half the open assignments are overdue at it.
AT = BASE + dt.timedelta(days=300)
ACTION = "seed.row.loaded"
INSERT_CHUNK = 2_000  # rows per INSERT statement
AUDIT_CHUNK = 5_000  # events per audit append
PEOPLE_CHUNK = 1_000  # people whose records are built at once (memory bound for large)


@dataclass(frozen=True)
class Scale:
    name: str
    people: int
    documents: int
    records_per_person: int = 8
    departments: int = 20
    job_functions: int = 50
    requirements_per_function: int = 20
    assignments_per_person: int = 2
    requalification_every: int = 50  # one order per this many records
    second_function_every: int = 10  # every Nth person holds a second job function


SCALES = {
    "medium": Scale("medium", people=10_000, documents=2_000),
    "large": Scale(
        "large",
        people=50_000,
        documents=10_000,
        records_per_person=50,
        departments=60,
        job_functions=250,
        requirements_per_function=60,
    ),
}


@dataclass
class Built:
    """What `build` made, as counts per table, and the row ids later steps need."""

    counts: dict[str, int] = field(default_factory=dict)
    events: int = 0

    def add(self, label: str, rows: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + rows
        self.events += rows

    def summary(self) -> list[str]:
        lines = [f"{label}: {count:,}" for label, count in self.counts.items()]
        return [*lines, f"audit events for them: {self.events:,}"]


def chunked(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _audit_rows(model: type[models.Model], pks: Sequence[int], detail: dict) -> int:
    """One event per row, from the row as stored (A4 hashes what verify will read)."""
    written = 0
    for part in chunked(list(pks), AUDIT_CHUNK):
        rows = model._base_manager.filter(pk__in=part).order_by("pk")
        audit.record_many(
            audit.pending(ACTION, row, actor=None, detail=detail) for row in rows.iterator(2000)
        )
        written += len(part)
    return written


def build(
    scale: Scale,
    *,
    seed: int,
    base: dt.datetime = BASE,
    progress: Callable[[int, int, str], None] | None = None,
) -> Built:
    """Build the data set into an empty database (the caller checks it is empty);
    ``progress(steps done, steps, step now)`` follows the steps."""
    return _Builder(scale, seed=seed, base=base).run(progress)


class _Builder:
    def __init__(self, scale: Scale, *, seed: int, base: dt.datetime) -> None:
        self.scale, self.base = scale, base
        self.rng = random.Random(seed)
        self.detail = {"data_set": f"qualify seed --scale {scale.name} --seed {seed}"}
        self.built = Built()

    def insert(
        self, label: str, model: type[models.Model], rows: Iterable[models.Model]
    ) -> list[Any]:
        """bulk_create in chunks and audit every row, in one transaction per table."""
        with transaction.atomic():
            created = model.objects.bulk_create(list(rows), batch_size=INSERT_CHUNK)
            _audit_rows(model, [row.pk for row in created], self.detail)
        self.built.add(label, len(created))
        return created

    def run(self, progress: Callable[[int, int, str], None] | None = None) -> Built:
        steps = [
            self.organisation,
            self.documents,
            self.matrix,
            self.records,
            self.signatures,
            self.requalifications,
            self.assignments,
        ]
        for done, step in enumerate(steps):
            if progress is not None:
                progress(done, len(steps), step.__name__)
            step()
        after_bulk_load()
        if progress is not None:
            progress(len(steps), len(steps), "done")
        return self.built

    def organisation(self) -> None:
        from qualify.accounts.models import User
        from qualify.org.models import Department, JobFunction, Person, Site

        scale = self.scale
        sites = self.insert(
            "sites",
            Site,
            [
                Site(code="S1", name="Scale plant one", time_zone="Europe/Dublin"),
                Site(code="S2", name="Scale plant two", time_zone="America/New_York"),
            ],
        )
        departments = self.insert(
            "departments",
            Department,
            [
                Department(site=sites[i % 2], code=f"D{i:02d}", name=f"Department {i:02d}")
                for i in range(scale.departments)
            ],
        )
        self.functions = self.insert(
            "job functions",
            JobFunction,
            [
                JobFunction(code=f"JF-{i:03d}", name=f"Job function {i:03d}", site=sites[i % 2])
                for i in range(scale.job_functions)
            ],
        )
        # "!" is Django's unusable password: scale accounts are named, never signed in.
        users = self.insert(
            "users",
            User,
            [
                User(username=f"u{i}", printed_name=f"User {i}", password="!")
                for i in range(scale.people + 1)
            ],
        )
        self.users = users
        self.owner = users[-1]
        self.people = self.insert(
            "people",
            Person,
            [
                Person(
                    employee_number=f"E{i:06d}",
                    full_name=f"Person {i}",
                    email=f"u{i}@scale.qualify.local",
                    site_id=departments[i % scale.departments].site_id,
                    department=departments[i % scale.departments],
                    user=users[i],
                )
                for i in range(scale.people)
            ],
        )
        self.sites = sites

    def documents(self) -> None:
        from qualify.documents.models import Document, DocumentVersion
        from qualify.training.models import Requirement

        base, owner = self.base, self.owner
        documents = self.insert(
            "documents",
            Document,
            [
                Document(
                    number=f"SOP-{i:05d}",
                    title=f"Procedure {i}",
                    doc_type="sop",
                    owner=owner,
                    site=self.sites[i % 2],
                    created_at=base,
                )
                for i in range(self.scale.documents)
            ],
        )
        with transaction.atomic():
            versions = DocumentVersion.objects.bulk_create(
                [
                    DocumentVersion(
                        document=document,
                        revision=str(sequence),
                        sequence=sequence,
                        status="approved",
                        change_summary="First issue" if sequence == 1 else "Periodic review",
                        retraining_required=retraining,
                        editorial_justification="" if retraining else "Editorial change only",
                        content_text=f"{document.number} revision {sequence}",
                        author=owner,
                        created_at=base,
                        approved_at=base + dt.timedelta(days=start),
                        effective_from=base + dt.timedelta(days=start),
                    )
                    for i, document in enumerate(documents)
                    for sequence, (start, retraining) in enumerate(
                        [(0, True), (100 + i % 150, i % 2 == 0)], start=1
                    )
                ],
                batch_size=INSERT_CHUNK,
            )
            by_document: dict[int, list] = {}
            for version in versions:
                by_document.setdefault(version.document_id, []).append(version)
            for first, second in by_document.values():
                first.effective_to = second.effective_from  # Q1: the new one ends the old
            DocumentVersion.objects.bulk_update(
                [first for first, _ in by_document.values()],
                ["effective_to"],
                batch_size=INSERT_CHUNK,
            )
            store_baselines()
            _audit_rows(DocumentVersion, [v.pk for v in versions], self.detail)
        self.built.add("document versions", len(versions))
        self.by_document = by_document
        self.requirements = self.insert(
            "requirements",
            Requirement,
            [
                Requirement(
                    code=f"R-{d.number}",
                    title=f"Read {d.number}",
                    method="read",
                    document=d,
                    created_at=base,
                )
                for d in documents
            ],
        )

    def matrix(self) -> None:
        """Each job function requires a sample of requirements; people hold functions."""
        from qualify.org.models import JobAssignment
        from qualify.training.models import MatrixEntry

        scale, base, functions = self.scale, self.base, self.functions
        count = len(self.requirements)
        self.required_by = [
            self.rng.sample(range(count), scale.requirements_per_function) for _ in functions
        ]
        entries = self.insert(
            "matrix entries",
            MatrixEntry,
            [
                MatrixEntry(
                    job_function=function,
                    requirement=self.requirements[r],
                    valid_from=base,
                    window_days=30,
                    reason="Initial training matrix",
                    recorded_at=base,
                    created_by=self.owner,
                )
                for function, wanted in zip(functions, self.required_by, strict=True)
                for r in wanted
            ],
        )
        self.entry_of = {(e.job_function_id, e.requirement_id): e.pk for e in entries}
        self.function_of = [i % len(functions) for i in range(len(self.people))]
        held = []
        for i, person in enumerate(self.people):
            held.append((person, self.function_of[i], base))
            if i % scale.second_function_every == 0:
                second = (self.function_of[i] + 7) % len(functions)
                held.append((person, second, base + dt.timedelta(days=50)))
        self.insert(
            "job assignments",
            JobAssignment,
            [
                JobAssignment(
                    person=person,
                    job_function=functions[f],
                    valid_from=since,
                    recorded_at=since,
                    reason="Onboarding",
                )
                for person, f, since in held
            ],
        )

    def records(self) -> None:
        """Read-and-understand records on requirements of the person's job function,
        bound to the version effective when completed; built a chunk of people at a
        time (memory), all in one transaction."""
        from qualify.training.models import TrainingRecord

        rng, base, people = self.rng, self.base, self.people
        self.record_ids: list[int] = []
        self.trained: set[tuple[int, int]] = set()
        with transaction.atomic():
            for start in range(0, len(people), PEOPLE_CHUNK):
                rows = []
                for i in range(start, min(start + PEOPLE_CHUNK, len(people))):
                    person = people[i]
                    wanted = self.required_by[self.function_of[i]]
                    for r in rng.sample(wanted, self.scale.records_per_person):
                        requirement = self.requirements[r]
                        day = rng.randint(0, 290)
                        first, second = self.by_document[requirement.document_id]
                        version = second if day >= (second.effective_from - base).days else first
                        when = base + dt.timedelta(days=day, minutes=rng.randint(0, 1000))
                        rows.append(
                            TrainingRecord(
                                person=person,
                                requirement=requirement,
                                document_version=version,
                                method="read",
                                completed_at=when,
                                recorded_at=when,
                                evidence="signature",
                                entered_by_id=person.user_id,
                            )
                        )
                        self.trained.add((person.pk, requirement.pk))
                created = TrainingRecord.objects.bulk_create(rows, batch_size=INSERT_CHUNK)
                _audit_rows(TrainingRecord, [row.pk for row in created], self.detail)
                self.record_ids.extend(row.pk for row in created)
        self.built.add("training records", len(self.record_ids))

    def signatures(self) -> None:
        """The trainee's "read and understood" signature on each record, at the time it
        was recorded, with the content hash of the record as stored (S1)."""
        from qualify.signatures.models import Signature
        from qualify.signatures.services import content_hash
        from qualify.training.models import TrainingRecord

        name_of = {u.pk: (u.username, u.printed_name) for u in self.users}
        total = 0
        with transaction.atomic():
            for part in chunked(self.record_ids, AUDIT_CHUNK):
                rows = [
                    Signature(
                        signer_id=r.entered_by_id,
                        username=name_of[r.entered_by_id][0],
                        printed_name=name_of[r.entered_by_id][1],
                        signed_at=r.recorded_at,
                        meaning="read_and_understood",
                        object_type="training.trainingrecord",
                        object_id=str(r.pk),
                        content_hash=content_hash(r),
                    )
                    for r in TrainingRecord.objects.filter(pk__in=part).order_by("pk")
                ]
                created = Signature.objects.bulk_create(rows, batch_size=INSERT_CHUNK)
                total += _audit_rows(Signature, [s.pk for s in created], self.detail)
        self.built.add("signatures", total)

    def requalifications(self) -> None:
        from qualify.training.models import RequalificationOrder, TrainingRecord

        chosen = self.record_ids[:: self.scale.requalification_every]
        total = 0
        with transaction.atomic():
            for part in chunked(chosen, AUDIT_CHUNK):
                rows = [
                    RequalificationOrder(
                        person_id=r.person_id,
                        requirement_id=r.requirement_id,
                        issued_at=r.completed_at + dt.timedelta(days=5),
                        recorded_at=r.completed_at + dt.timedelta(days=5),
                        reason="Deviation: procedure not followed; retrain before further work",
                    )
                    for r in TrainingRecord.objects.filter(pk__in=part).order_by("pk")
                ]
                created = RequalificationOrder.objects.bulk_create(rows, batch_size=INSERT_CHUNK)
                total += _audit_rows(RequalificationOrder, [o.pk for o in created], self.detail)
        self.built.add("requalification orders", total)

    def assignments(self) -> None:
        """Open matrix assignments (G1/G2) for required training not yet recorded; due
        dates spread so that about half are overdue at AT."""
        from qualify.training.models import Assignment

        rows = []
        for i, person in enumerate(self.people):
            f = self.function_of[i]
            function = self.functions[f]
            todo = [
                self.requirements[r]
                for r in self.required_by[f]
                if (person.pk, self.requirements[r].pk) not in self.trained
            ]
            for requirement in todo[: self.scale.assignments_per_person]:
                entry = self.entry_of[(function.pk, requirement.pk)]
                rows.append(
                    Assignment(
                        person=person,
                        requirement=requirement,
                        reason="matrix",
                        source=f"training.matrixentry:{entry}",
                        due_at=self.base + dt.timedelta(days=self.rng.randint(200, 400)),
                        created_at=self.base + dt.timedelta(days=170),
                    )
                )
        self.insert("open assignments", Assignment, rows)


def store_baselines() -> None:
    """Q2 as approval stores it: each version's baseline is the latest version <= it
    that required retraining (raw SQL reads the column)."""
    from qualify.documents.models import DocumentVersion

    latest: dict[int, int] = {}
    changed = []
    for version in DocumentVersion.objects.order_by("document_id", "sequence"):
        if version.retraining_required or version.document_id not in latest:
            latest[version.document_id] = version.pk
        if version.baseline_id != latest[version.document_id]:
            version.baseline_id = latest[version.document_id]
            changed.append(version)
    DocumentVersion.objects.bulk_update(changed, ["baseline"], batch_size=INSERT_CHUNK)
