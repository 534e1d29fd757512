"""Everything the engine needs about a set of (person, requirement) pairs, loaded in
bulk and filtered to what the system knew "as known at" K (Q7).

A `Facts` object is loaded once per question set: requirements, their documents and
versions, the records of each pair with the recorded time of any correction, their
signatures, requalification orders, and the user ids the signature checks need.
Trainer qualification (Q4) asks about further pairs (the trainer on the trainer
requirement); `load()` follows those in rounds, one set of queries per level of the
trainer chain, never one query per pair.

Rows are read with a few hand-written queries (`engine.sql`) into plain slotted
objects, converted exactly as the ORM converts them. Model instances are built only
for what an answer shows (its requirement, record, versions and signatures), once
per `Facts`, so a thousand checks do not build thousands of versions.

Nothing here depends on the instant T: the same facts answer at any T, which is how
the trainer's qualification at the time of the training is answered.
"""

import datetime as dt
from collections.abc import Iterable

from qualify.audit.canonical import sha256_hex
from qualify.documents import timeline
from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Person, had_left
from qualify.signatures.models import Signature
from qualify.training.engine import sql
from qualify.training.models import TRAINER_METHODS, Assignment, Requirement, TrainingRecord

RECORD_TYPE = TrainingRecord._meta.label_lower
CHUNK = sql.CHUNK

Pair = tuple[int, int]  # (person id, requirement id)


def chunks(values: Iterable, size: int = CHUNK):
    values = list(values)
    if len(values) <= size:
        if values:
            yield values
        return
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Version:
    """A document version as Q1 and Q2 need it (timeline.VersionLike)."""

    __slots__ = (*sql.VERSION_FIRST[1:], "pk", "row")

    def __init__(self, row: list) -> None:
        (  # sql.VERSION_FIRST
            self.pk,
            self.document_id,
            self.sequence,
            self.status,
            self.retraining_required,
            self.approved_at,
            self.effective_from,
            self.baseline_id,
        ) = row[: sql.VERSION_LOGIC]
        self.row = row


class Record:
    """A training record: the fields its signed content and the rules read as
    attributes, every other column of the row by its attname on demand."""

    __slots__ = (*sql.RECORD_FIRST, "row", "signatures")

    def __init__(self, row: list) -> None:
        (
            self.id,
            self.person_id,
            self.requirement_id,
            self.document_version_id,
            self.method,
            self.completed_at,
            self.recorded_at,
            self.attested_at,
            self.evidence,
            self.score,
            self.pass_mark,
            self.trainer_id,
            self.evidence_sha256,
            self.supersedes_id,
        ) = row[: len(sql.RECORD_FIRST)]
        self.row = row
        self.signatures: list[Sig] = []

    def __getattr__(self, name: str):
        index = sql.RECORD_INDEX.get(name) if name != "row" else None
        if index is None:
            raise AttributeError(name)
        return self.row[index]

    @property
    def pk(self) -> int:
        return self.id


class Sig:
    """A signature of a record: who, meaning, when, and the hash it carries."""

    __slots__ = ("content_hash", "meaning", "pk", "row", "signed_at", "signer_id")

    def __init__(self, row: list) -> None:
        (self.pk, self.signer_id, self.meaning, self.content_hash, self.signed_at) = row[
            : sql.SIGNATURE_LOGIC
        ]
        self.row = row


class Facts:
    def __init__(self, as_known_at: dt.datetime | None = None) -> None:
        self.as_known_at = as_known_at
        self.db = sql.Reader(TrainingRecord)
        self.requirements: dict[int, Requirement] = {}
        self.documents: dict[int, Document] = {}
        self.versions: dict[int, list[Version]] = {}  # by document id
        self.version_by_id: dict[int, Version] = {}
        self.people: dict[int, Person] = {}  # the caller's, for the answers
        self.users: dict[int, int | None] = {}  # person id -> user id
        # Q9: person id -> (left_at, deactivated_at: when the leaving was recorded).
        self.leaving: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
        # Records known at K and not superseded by a correction known at K (R1), most
        # recently completed first; each with its signatures known at K.
        self.records: dict[Pair, list[Record]] = {}
        # completed_at of records the system learnt of only after K.
        self.unrecorded: dict[Pair, list[dt.datetime]] = {}
        self.orders: dict[Pair, list[dt.datetime]] = {}  # issued_at, known at K
        # Q10: (created_at, closed_at or None) of each assignment of a pair whose
        # requirement allows grace, known at K; a closure not known at K is None.
        self.retraining: dict[Pair, list[tuple[dt.datetime, dt.datetime | None]]] = {}
        self.site_allows: dict[int, bool] = {}
        # Active requirements linked to each loaded document, by code.
        self.linked: dict[int, list[Requirement]] = {}
        self._loaded: set[Pair] = set()
        self._hashes: dict[int, str] = {}
        self._baselines: dict[int, int] = {}
        self._effective: dict[tuple[int, dt.datetime], Version | None] = {}
        self._instances: dict[tuple[type, int], object] = {}

    def known(self, moment: dt.datetime | None) -> bool:
        """Q7: was something that happened (was recorded) at `moment` known at K?"""
        return moment is not None and (self.as_known_at is None or moment <= self.as_known_at)

    # Seeding with objects the caller already holds saves their queries.

    def add_people(self, people: Iterable[Person]) -> None:
        for person in people:
            pk = person.pk
            if pk not in self.people:
                self.people[pk] = person
                self.users[pk] = person.user_id
                self.leaving[pk] = (person.left_at, person.deactivated_at)

    def add_documents(self, documents: Iterable[Document]) -> None:
        for document in documents:
            self.documents.setdefault(document.pk, document)

    def add_requirements(self, requirements: Iterable[Requirement]) -> None:
        for requirement in requirements:
            self.requirements.setdefault(requirement.pk, requirement)

    # Loading.

    def requirements_of_documents(
        self, document_ids: Iterable[int]
    ) -> dict[int, list[Requirement]]:
        """Active requirements linked to each document (Q4: P is qualified on D iff on
        every one of them), by code; loads the documents' versions with them."""
        document_ids = list(document_ids)
        self.load_documents(document_ids)
        return {pk: self.linked[pk] for pk in document_ids}

    def load_documents(self, document_ids: Iterable[int]) -> None:
        """The documents' versions and active requirements, in one query."""
        wanted = [pk for pk in dict.fromkeys(document_ids) if pk not in self.linked]
        for ids in chunks(wanted, CHUNK - 1):
            with_own = any(pk not in self.documents for pk in ids)
            for pk in ids:
                self.versions.setdefault(pk, [])
                self.linked[pk] = []
            seen_versions: set[int] = set()
            seen_requirements: set[int] = set()
            for document, row, requirement in self.db.documents(ids, with_own=with_own):
                if with_own:
                    document = self.documents.setdefault(document.pk, document).pk
                if row is not None and row[0] not in seen_versions:
                    seen_versions.add(row[0])
                    if row[0] not in self.version_by_id:
                        self._add_version(Version(row))
                if requirement is not None and requirement.pk not in seen_requirements:
                    seen_requirements.add(requirement.pk)
                    requirement = self.requirements.setdefault(requirement.pk, requirement)
                    self.linked[document].append(requirement)
            for pk in ids:
                if len(self.linked[pk]) > 1:
                    self.linked[pk].sort(key=lambda r: r.code)

    def _add_version(self, version: Version) -> None:
        self.versions.setdefault(version.document_id, []).append(version)
        self.version_by_id[version.pk] = version

    def load_sites(self, site_ids: Iterable[int]) -> None:
        missing = [pk for pk in set(site_ids) if pk not in self.site_allows]
        for ids in chunks(missing):
            self.site_allows.update(self.db.sites(ids))

    def load(self, pairs: Iterable[Pair]) -> None:
        pending = set(pairs) - self._loaded
        while pending:
            self._load_requirements({r for _, r in pending})
            self._load_users({p for p, _ in pending})
            self._load_records(pending)
            self._load_retraining(pending)
            self._loaded |= pending
            trainer_pairs: set[Pair] = set()
            trainers: set[int] = set()
            for pair in pending:
                requirement = self.requirements[pair[1]]
                for record in self.records.get(pair, ()):
                    if needs_trainer(requirement, record) and record.trainer_id is not None:
                        trainers.add(record.trainer_id)
                        needed = requirement.trainer_requirement_id
                        if needed is not None:
                            trainer_pairs.add((record.trainer_id, needed))
            self._load_users(trainers)
            pending = trainer_pairs - self._loaded

    def _load_requirements(self, requirement_ids: set[int]) -> None:
        missing = [pk for pk in requirement_ids if pk not in self.requirements]
        for ids in chunks(missing):
            self.add_requirements(self.db.requirements(ids))
        document_ids = {
            self.requirements[pk].document_id
            for pk in requirement_ids
            if self.requirements[pk].document_id is not None
        }
        self.load_documents(document_ids)

    def _load_users(self, person_ids: set[int]) -> None:
        missing = [pk for pk in person_ids if pk not in self.users]
        for ids in chunks(missing):
            for pk, user_id, left_at, deactivated_at in self.db.users(ids):
                self.users[pk] = user_id
                self.leaving[pk] = (left_at, deactivated_at)

    def _load_records(self, pairs: set[Pair]) -> None:
        """One query for the records of exactly these pairs, with each one's correction
        time, signatures and the pair's requalification orders."""
        known = self.known
        records = self.records
        seen: dict[int, Record | None] = {}  # record id -> kept record (None: dropped)
        seen_signatures: set[int] = set()
        seen_orders: set[int] = set()
        for some in chunks(pairs, CHUNK // 2):
            for row, correction_recorded_at, signature, order in self.db.records(some):
                record_id = row[0]
                if record_id in seen:
                    record = seen[record_id]
                else:
                    record = Record(row)
                    pair = (record.person_id, record.requirement_id)
                    if not known(record.recorded_at):
                        self.unrecorded.setdefault(pair, []).append(record.completed_at)
                        record = None
                    elif known(correction_recorded_at):
                        record = None  # R1: the correction counts instead
                    else:
                        records.setdefault(pair, []).append(record)
                    seen[record_id] = record
                if (
                    record is not None
                    and signature is not None
                    and signature[0] not in seen_signatures
                ):
                    seen_signatures.add(signature[0])
                    signature = Sig(signature)
                    if known(signature.signed_at):
                        record.signatures.append(signature)
                if order is not None and order[0] not in seen_orders:
                    seen_orders.add(order[0])
                    _, issued_at, recorded_at = order
                    if known(recorded_at):
                        pair = (row[1], row[2])
                        self.orders.setdefault(pair, []).append(issued_at)
        kept = [record for record in seen.values() if record is not None]
        for record in kept:
            if len(record.signatures) > 1:
                record.signatures.sort(key=lambda s: (s.signed_at, s.pk))
        for pair in pairs:
            found = records.get(pair)
            if found is not None and len(found) > 1:
                found.sort(key=lambda r: (r.completed_at, r.id), reverse=True)
        missing_versions = {
            r.document_version_id
            for r in kept
            if r.document_version_id is not None and r.document_version_id not in self.version_by_id
        }
        for ids in chunks(missing_versions):
            for row in self.db.versions(ids):
                self._add_version(Version(row))

    def _load_retraining(self, pairs: set[Pair]) -> None:
        """Q10: the assignments of the pairs whose requirement allows grace. No query
        when none does (grace 0, the default), so the engine is unchanged there."""
        wanted = [pair for pair in pairs if self.requirements[pair[1]].grace_days]
        if not wanted:
            return
        by_person: dict[int, set[int]] = {}
        for person_id, requirement_id in wanted:
            by_person.setdefault(person_id, set()).add(requirement_id)
        wanted_set = set(wanted)
        people = list(by_person)
        requirements = list({r for _, r in wanted})
        for some in chunks(people, CHUNK // 2):
            rows = Assignment.objects.filter(
                person_id__in=some, requirement_id__in=requirements
            ).values_list("person_id", "requirement_id", "created_at", "closed_at")
            for person_id, requirement_id, created_at, closed_at in rows:
                pair = (person_id, requirement_id)
                if pair not in wanted_set or not self.known(created_at):
                    continue
                closed = closed_at if self.known(closed_at) else None
                self.retraining.setdefault(pair, []).append((created_at, closed))

    def retraining_open(self, pair: Pair, at: dt.datetime) -> bool:
        """Q10: was an assignment of the pair open at `at` (as known at K)?"""
        return any(
            created <= at and (closed is None or at < closed)
            for created, closed in self.retraining.get(pair, ())
        )

    # Derived facts, computed once.

    def effective_version(self, document_id: int, at: dt.datetime) -> Version | None:
        """Q1 as known at K, through the one shared definition in documents.timeline."""
        key = (document_id, at)
        found = self._effective.get(key, self)
        if found is not self:
            return found
        document = self.documents[document_id]
        found = self._effective[key] = timeline.effective_version(
            self.versions.get(document_id, ()),
            at=at,
            as_known_at=self.as_known_at,
            obsolete_from=document.obsolete_from,
            obsolete_recorded_at=document.obsolete_recorded_at,
        )
        return found

    def baseline_id(self, version: Version) -> int:
        """Q2: the stored baseline, or computed when approval has not stored it."""
        if version.baseline_id is not None:
            return version.baseline_id
        if version.pk not in self._baselines:
            versions = self.versions.get(version.document_id, [version])
            self._baselines[version.pk] = timeline.baseline_of(version, versions).pk
        return self._baselines[version.pk]

    def content_hash(self, record: Record) -> str:
        """S1: the hash a valid signature of this record carries, computed from the
        row's values as signatures.services.content_hash computes it from the model
        instance: the model's own signed_content, in the canonical form. (That
        function hashes to_plain(content); the canonical form of the JSON copy is the
        canonical form of the content itself, so the copy is skipped.)"""
        found = self._hashes.get(record.id)
        if found is None:
            content = TrainingRecord.signed_content(record)
            found = self._hashes[record.id] = sha256_hex(content)
        return found

    def had_left(self, person_id: int, at: dt.datetime) -> bool:
        """Q9: had the person left at `at`, as known at K (Q7)?"""
        left_at, recorded_at = self.leaving.get(person_id, (None, None))
        return had_left(left_at, recorded_at, at, self.as_known_at)

    def user_of(self, person_id: int | None) -> int | None:
        return self.users.get(person_id) if person_id is not None else None

    # Model instances for the answers, one per row and Facts.

    def requirement(self, requirement_id: int) -> Requirement:
        return self.requirements[requirement_id]

    def version_instance(self, version: Version | None) -> DocumentVersion | None:
        if version is None:
            return None
        key = (DocumentVersion, version.pk)
        instance = self._instances.get(key)
        if instance is None:
            instance = self._instances[key] = self.db.version_instance(version.row)
            document = self.documents.get(version.document_id)
            if document is not None:
                instance._state.fields_cache["document"] = document  # str() without a query
        return instance

    def record_instance(self, record: Record) -> TrainingRecord:
        key = (TrainingRecord, record.id)
        instance = self._instances.get(key)
        if instance is None:
            instance = self._instances[key] = self.db.record_instance(record.row)
            cache = instance._state.fields_cache
            cache["requirement"] = self.requirements[record.requirement_id]
            person = self.people.get(record.person_id)
            if person is not None:
                cache["person"] = person
        return instance

    def signature_instance(self, signature: Sig) -> Signature:
        key = (Signature, signature.pk)
        instance = self._instances.get(key)
        if instance is None:
            instance = self._instances[key] = self.db.signature_instance(signature.row)
        return instance


def needs_trainer(requirement: Requirement, record) -> bool:
    """Classroom and on-the-job need the trainer's signature and qualification. Either
    the requirement's method or the record's may demand it: a practical cannot be
    satisfied by recording it as reading."""
    return requirement.method in TRAINER_METHODS or record.method in TRAINER_METHODS
