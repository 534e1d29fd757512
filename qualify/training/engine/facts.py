"""Everything the engine needs about a set of (person, requirement) pairs, loaded in
bulk and filtered to what the system knew "as known at" K (Q7).

A `Facts` object is loaded once per question set: requirements, their documents and
versions, the records of each pair with the recorded time of any correction, their
signatures, requalification orders, and the people whose user ids the signature
checks need. Trainer qualification (Q4) asks about further pairs (the trainer on the
trainer requirement); `load()` follows those in rounds, one set of queries per
level of the trainer chain, never one query per pair.

Nothing here depends on the instant T: the same facts answer at any T, which is how
the trainer's qualification at the time of the training is answered.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F

from qualify.documents import timeline
from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Person, Site
from qualify.signatures.models import Signature
from qualify.signatures.services import content_hash
from qualify.training.models import (
    TRAINER_METHODS,
    RequalificationOrder,
    Requirement,
    TrainingRecord,
)

RECORD_TYPE = TrainingRecord._meta.label_lower
CHUNK = 2000  # ids per IN (...) list, well below SQLite's variable limit
CROSS_LIMIT = 50  # see _load_records

Pair = tuple[int, int]  # (person id, requirement id)


def chunks(values: Iterable, size: int = CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Facts:
    def __init__(self, as_known_at: dt.datetime | None = None) -> None:
        self.as_known_at = as_known_at
        self.requirements: dict[int, Requirement] = {}
        self.documents: dict[int, Document] = {}
        self.versions: dict[int, list[DocumentVersion]] = {}  # by document id
        self.version_by_id: dict[int, DocumentVersion] = {}
        self.people: dict[int, Person] = {}
        # Records known at K and not superseded by a correction known at K (R1).
        self.records: dict[Pair, list[TrainingRecord]] = defaultdict(list)
        # completed_at of records the system learnt of only after K.
        self.unrecorded: dict[Pair, list[dt.datetime]] = defaultdict(list)
        self.orders: dict[Pair, list[dt.datetime]] = defaultdict(list)  # issued_at, known at K
        self.signatures: dict[int, list[Signature]] = defaultdict(list)  # by record id
        self.site_allows: dict[int, bool] = {}
        self._loaded: set[Pair] = set()
        self._hashes: dict[int, str] = {}
        self._baselines: dict[int, int] = {}
        self._effective: dict[tuple[int, dt.datetime], DocumentVersion | None] = {}

    def known(self, moment: dt.datetime | None) -> bool:
        """Q7: was something that happened (was recorded) at `moment` known at K?"""
        return moment is not None and (self.as_known_at is None or moment <= self.as_known_at)

    # Seeding with objects the caller already holds saves their queries.

    def add_people(self, people: Iterable[Person]) -> None:
        for person in people:
            self.people.setdefault(person.pk, person)

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
        every one of them)."""
        by_document: dict[int, list[Requirement]] = {pk: [] for pk in document_ids}
        for ids in chunks(by_document):
            for requirement in Requirement.objects.filter(document_id__in=ids, active=True).defer(
                "checklist"
            ):
                requirement = self.requirements.setdefault(requirement.pk, requirement)
                by_document[requirement.document_id].append(requirement)
        for requirements in by_document.values():
            requirements.sort(key=lambda r: r.code)
        return by_document

    def load_documents(self, document_ids: Iterable[int]) -> None:
        missing = {pk for pk in document_ids if pk not in self.documents}
        for ids in chunks(missing):
            self.add_documents(Document.objects.filter(pk__in=ids))
        wanted = [pk for pk in document_ids if pk not in self.versions]
        for pk in wanted:
            self.versions[pk] = []
        for ids in chunks(wanted):
            rows = DocumentVersion.objects.filter(document_id__in=ids).defer(
                "content_text", "change_summary", "editorial_justification"
            )
            for version in rows:
                self._add_version(version)

    def _add_version(self, version: DocumentVersion) -> None:
        document = self.documents.get(version.document_id)
        if document is not None:
            version.document = document  # str(version) without a query
        self.versions.setdefault(version.document_id, []).append(version)
        self.version_by_id[version.pk] = version

    def load_sites(self, site_ids: Iterable[int]) -> None:
        missing = {pk for pk in site_ids if pk not in self.site_allows}
        for ids in chunks(missing):
            rows = Site.objects.filter(pk__in=ids).values_list("pk", "allow_untrained_documents")
            self.site_allows.update(rows)

    def load(self, pairs: Iterable[Pair]) -> None:
        pending = set(pairs) - self._loaded
        while pending:
            self._load_requirements({r for _, r in pending})
            self._load_people({p for p, _ in pending})
            self._load_records(pending)
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
            self._load_people(trainers)
            pending = trainer_pairs - self._loaded

    def _load_requirements(self, requirement_ids: set[int]) -> None:
        missing = [pk for pk in requirement_ids if pk not in self.requirements]
        for ids in chunks(missing):
            self.add_requirements(Requirement.objects.filter(pk__in=ids).defer("checklist"))
        document_ids = {
            self.requirements[pk].document_id
            for pk in requirement_ids
            if self.requirements[pk].document_id is not None
        }
        self.load_documents(document_ids)

    def _load_people(self, person_ids: set[int]) -> None:
        missing = [pk for pk in person_ids if pk not in self.people]
        for ids in chunks(missing):
            self.add_people(Person.objects.filter(pk__in=ids))

    def _load_records(self, pairs: set[Pair]) -> None:
        person_ids = sorted({p for p, _ in pairs})
        requirement_ids = sorted({r for _, r in pairs})
        kept: list[TrainingRecord] = []
        # Two steps: narrow rows (three integers) of a superset of the pairs, then the
        # full rows of the pairs asked about only. "person IN (...) AND requirement IN
        # (...)" makes the database probe the index once per combination (1,000 x 1,000
        # is a million probes), so with many of both only the smaller side is filtered.
        wanted: list[int] = []
        narrow = TrainingRecord.objects.values_list("pk", "person_id", "requirement_id")
        if min(len(person_ids), len(requirement_ids)) <= CROSS_LIMIT:
            queries = (
                narrow.filter(person_id__in=ids, requirement_id__in=requirement_ids)
                for ids in chunks(person_ids, CHUNK // 2)
            )
        elif len(person_ids) <= len(requirement_ids):
            queries = (narrow.filter(person_id__in=ids) for ids in chunks(person_ids))
        else:
            queries = (narrow.filter(requirement_id__in=ids) for ids in chunks(requirement_ids))
        for rows in queries:
            wanted.extend(pk for pk, person_id, requirement_id in rows
                          if (person_id, requirement_id) in pairs)  # fmt: skip
        for ids in chunks(wanted):
            rows = TrainingRecord.objects.filter(pk__in=ids).annotate(
                correction_recorded_at=F("superseded_by__recorded_at")
            )
            for record in rows:
                pair = (record.person_id, record.requirement_id)
                if pair not in pairs:
                    continue
                if not self.known(record.recorded_at):
                    self.unrecorded[pair].append(record.completed_at)
                elif self.known(record.correction_recorded_at):
                    continue  # R1: the correction counts instead
                else:
                    self.records[pair].append(record)
                    kept.append(record)
        for records in (self.records[pair] for pair in pairs if pair in self.records):
            records.sort(key=lambda r: (r.completed_at, r.pk), reverse=True)
        missing_versions = {
            r.document_version_id
            for r in kept
            if r.document_version_id is not None and r.document_version_id not in self.version_by_id
        }
        for ids in chunks(missing_versions):
            for version in DocumentVersion.objects.filter(pk__in=ids).defer("content_text"):
                self._add_version(version)
        for ids in chunks([str(r.pk) for r in kept]):
            rows = Signature.objects.filter(object_type=RECORD_TYPE, object_id__in=ids).order_by(
                "signed_at", "pk"
            )
            for signature in rows:
                if self.known(signature.signed_at):
                    self.signatures[int(signature.object_id)].append(signature)
        for ids in chunks(person_ids, CHUNK // 2):
            rows = RequalificationOrder.objects.filter(
                person_id__in=ids, requirement_id__in=requirement_ids
            ).values_list("person_id", "requirement_id", "issued_at", "recorded_at")
            for person_id, requirement_id, issued_at, recorded_at in rows:
                pair = (person_id, requirement_id)
                if pair in pairs and self.known(recorded_at):
                    self.orders[pair].append(issued_at)

    # Derived facts, computed once.

    def effective_version(self, document_id: int, at: dt.datetime) -> DocumentVersion | None:
        """Q1 as known at K, through the one shared definition in documents.timeline."""
        key = (document_id, at)
        if key not in self._effective:
            document = self.documents[document_id]
            self._effective[key] = timeline.effective_version(
                self.versions.get(document_id, ()),
                at=at,
                as_known_at=self.as_known_at,
                obsolete_from=document.obsolete_from,
                obsolete_recorded_at=document.obsolete_recorded_at,
            )
        return self._effective[key]

    def baseline_id(self, version: DocumentVersion) -> int:
        """Q2: the stored baseline, or computed when approval has not stored it."""
        if version.baseline_id is not None:
            return version.baseline_id
        if version.pk not in self._baselines:
            versions = self.versions.get(version.document_id, [version])
            self._baselines[version.pk] = timeline.baseline_of(version, versions).pk
        return self._baselines[version.pk]

    def content_hash(self, record: TrainingRecord) -> str:
        """S1: the hash a valid signature of this record carries; from the loaded row,
        no query."""
        if record.pk not in self._hashes:
            self._hashes[record.pk] = content_hash(record)
        return self._hashes[record.pk]

    def user_of(self, person_id: int | None) -> int | None:
        person = self.people.get(person_id) if person_id is not None else None
        return person.user_id if person is not None else None


def needs_trainer(requirement: Requirement, record: TrainingRecord) -> bool:
    """Classroom and on-the-job need the trainer's signature and qualification. Either
    the requirement's method or the record's may demand it: a practical cannot be
    satisfied by recording it as reading."""
    return requirement.method in TRAINER_METHODS or record.method in TRAINER_METHODS
