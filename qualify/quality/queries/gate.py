"""E1: the gate at the point of use. Before work under documents, is the performer
qualified on the versions effective at the instant of the work (Q4, E5), as known
then (Q7)? The answer is the engine's (Q9)."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Person
from qualify.training import engine


@dataclass
class DocumentGate:
    document: Document
    version: DocumentVersion | None
    qualified: bool
    reasons: list[str]
    answer: Any = None

    @property
    def in_grace(self) -> bool:
        """Q10: qualified on this document only by some requirement's grace."""
        return bool(getattr(self.answer, "in_grace", False))

    @property
    def grace_ends(self) -> dt.datetime | None:
        return getattr(self.answer, "grace_ends", None) if self.in_grace else None


@dataclass
class GateAnswer:
    person: Person | None
    at: dt.datetime
    qualified: bool
    documents: list[DocumentGate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    as_known_at: dt.datetime | None = None

    @property
    def reasons(self) -> list[str]:
        per_document = [f"{d.document.number}: {r}" for d in self.documents for r in d.reasons]
        return self.problems + per_document

    @property
    def in_grace(self) -> bool:
        """Q10 (P70): the work is qualified, but on some document only in grace."""
        return self.qualified and any(d.in_grace for d in self.documents)

    @property
    def grace_ends(self) -> dt.datetime | None:
        """The first grace to end among the documents qualified in grace."""
        return min((d.grace_ends for d in self.documents if d.grace_ends), default=None)

    @property
    def state_label(self) -> str:
        """The answer in the engine's words: "qualified (in grace)" (Q10)."""
        if not self.qualified:
            return "not qualified"
        return "qualified (in grace)" if self.in_grace else "qualified"

    def as_json(self) -> dict:
        from qualify.quality.services.common import plain

        return {
            "person": self.person.pk if self.person is not None else None,
            "at": plain(self.at),
            "as_known_at": plain(self.as_known_at),
            "qualified": self.qualified,
            # Q10 (P70): the snapshot says "qualified (in grace)" and until when.
            "in_grace": self.in_grace,
            "grace_ends": plain(self.grace_ends),
            "problems": self.problems,
            "documents": [
                {
                    "document": d.document.number,
                    "version": d.version.revision if d.version else None,
                    "qualified": d.qualified,
                    "in_grace": d.in_grace,
                    "grace_ends": plain(d.grace_ends),
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


AS_ASKED = object()  # gate_check's default: as known at the instant asked about


def gate_check(
    person: Person,
    documents: list[Document],
    *,
    at: dt.datetime | None = None,
    as_known_at: Any = AS_ASKED,
) -> GateAnswer:
    """Qualified or not on every document, with reasons, for work at `at` (now by
    default). A gate stores the answer as known when it was asked (Q7), so by default
    as known at `at`; `as_known_at=None` answers with everything known now.

    Q9: the answer for each document is the engine's (`engine.check_many`, the function
    every interface calls), taken as it is: no rule of its own here. The work is
    qualified only if the person is qualified on every document (Q4)."""
    at = at or timezone.now()
    if as_known_at is AS_ASKED:
        as_known_at = at
    documents = fresh(documents)
    answers = engine.check_many(
        [(person, document) for document in documents], at=at, as_known_at=as_known_at
    )
    answer = GateAnswer(person=person, at=at, qualified=False, as_known_at=as_known_at)
    for document, result in zip(documents, answers, strict=True):
        reasons = [reason.label for reason in result.reasons]
        if not result.qualified and not reasons:  # pragma: no cover - the engine says why
            reasons = ["not qualified"]
        answer.documents.append(
            DocumentGate(document, result.effective_version, result.qualified, reasons, result)
        )
    answer.qualified = bool(answer.documents) and all(d.qualified for d in answer.documents)
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
