"""E1: the gate at the point of use. Before work under documents, is the performer
qualified on the versions effective now (Q4), as known now (Q7)?"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from qualify.documents.models import Document, DocumentVersion
from qualify.documents.timeline import effective_version
from qualify.org.models import Person
from qualify.training import engine


@dataclass
class DocumentGate:
    document: Document
    version: DocumentVersion | None
    qualified: bool
    reasons: list[str]
    answer: Any = None


@dataclass
class GateAnswer:
    person: Person | None
    at: dt.datetime
    qualified: bool
    documents: list[DocumentGate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        per_document = [f"{d.document.number}: {r}" for d in self.documents for r in d.reasons]
        return self.problems + per_document

    def as_json(self) -> dict:
        from qualify.quality.services.common import plain

        return {
            "person": self.person.pk if self.person is not None else None,
            "at": plain(self.at),
            "qualified": self.qualified,
            "problems": self.problems,
            "documents": [
                {
                    "document": d.document.number,
                    "version": d.version.revision if d.version else None,
                    "qualified": d.qualified,
                    "reasons": d.reasons,
                    "answer": plain(d.answer),
                }
                for d in self.documents
            ],
        }


def fresh(documents: list[Document]) -> list[Document]:
    """The documents as stored now (a caller's copy may predate an obsolescence)."""
    rows = Document.objects.in_bulk([d.pk for d in documents])
    return [rows[d.pk] for d in documents]


def version_in_force(document: Document, at: dt.datetime) -> DocumentVersion | None:
    """Q1 with all that is known: None when obsolete or never effective."""
    return effective_version(
        list(document.versions.all()),
        at=at,
        obsolete_from=document.obsolete_from,
        obsolete_recorded_at=document.obsolete_recorded_at,
    )


def gate_check(
    person: Person, documents: list[Document], *, at: dt.datetime | None = None
) -> GateAnswer:
    """Qualified or not, with reasons, for work at `at` (now by default), as known then."""
    from qualify.quality.services.common import is_qualified, no_training_defined, reasons_of

    at = at or timezone.now()
    documents = fresh(documents)
    answer = GateAnswer(person=person, at=at, qualified=True)
    for document in documents:
        version = version_in_force(document, at)
        if version is None:
            gate = DocumentGate(
                document, None, False, ["no version is in force (obsolete or never effective)"]
            )
        else:
            result = engine.document_qualification(person, document, at=at, as_known_at=at)
            ok = is_qualified(result)
            reasons = reasons_of(result)
            if not ok and no_training_defined(result) and person.site.allow_untrained_documents:
                ok, reasons = True, ["no training defined; the site allows the work"]
            if not ok and not reasons:
                reasons = ["not qualified"]
            gate = DocumentGate(document, version, ok, reasons, result)
        answer.documents.append(gate)
        answer.qualified = answer.qualified and gate.qualified
    if not person.active:
        answer.qualified = False
        answer.problems.append(f"{person.full_name} has left (inactive)")
    return answer


def signer_gate(signer: Any, procedure: Document, *, at: dt.datetime | None = None) -> GateAnswer:
    """E1 for a signature whose meaning is bound to a procedure: is the signer's person
    qualified on the version of `procedure` effective at that instant, as known then?
    An account with no person record (a service account) is never qualified."""
    at = at or timezone.now()
    person = Person.objects.select_related("site").filter(user_id=signer.pk).first()
    if person is None:
        answer = GateAnswer(person=None, at=at, qualified=False)
        answer.problems.append(f"{signer.username} is no person on record: nobody to qualify")
        return answer
    return gate_check(person, [procedure], at=at)
