"""The qualification engine: Q1-Q8 answered at an instant, optionally as known at another.

PUBLIC API (other modules code against these names):

    qualification(person, requirement, *, at, as_known_at=None) -> RequirementAnswer
    document_qualification(person, document, *, at, as_known_at=None) -> DocumentAnswer
    check_many(pairs, *, at, as_known_at=None) -> list[DocumentAnswer]   # (person, document)
    document_qualifications(questions, *, as_known_at=None)  # (person, document, at)
    is_qualified(person, requirement, *, at, as_known_at=None) -> bool
    qualified_at_instants(pairs, instants, *, as_known_at=None) -> list[tuple[bool, ...]]
    lost_between(pairs, before, at, *, as_known_at=None) -> list[bool]   # (person id, req. id)
    required_requirements(person, *, at, as_known_at=None) -> dict[int, list[RequiredBecause]]
    is_compliant(person, *, at) -> bool

Q9: these are the only functions that answer "qualified?"; pages, the CLI, the API,
the gate and deviation snapshots call them with the same arguments. A person who had
left at T (as known at K) is not qualified at T: Reason.PERSON_LEFT.

Every answer is computed from rows loaded in bulk (engine.facts, with the statements
in engine.sql) and evaluated in memory (engine.rules), so one check and a thousand
checks run the same code with a bounded number of queries: a single check is
check_many of one. Reasons and their priority: engine.answers.Reason.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace

from qualify.documents.models import Document
from qualify.org.models import Person
from qualify.training.engine.answers import (
    DocumentAnswer,
    Reason,
    RequiredBecause,
    RequirementAnswer,
    SignatureStatus,
    ordered,
)
from qualify.training.engine.facts import Facts
from qualify.training.engine.required import is_compliant, required_requirements
from qualify.training.engine.rules import Evaluator, add_months
from qualify.training.models import Requirement

__all__ = [
    "DocumentAnswer",
    "Reason",
    "RequiredBecause",
    "RequirementAnswer",
    "SignatureStatus",
    "add_months",
    "check_many",
    "document_qualification",
    "is_compliant",
    "is_qualified",
    "lost_between",
    "qualification",
    "qualifications",
    "qualified_at_instants",
    "required_requirements",
]

MAX_PAIRS = 1000


def _aware(name: str, value: dt.datetime | None) -> None:
    if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
        raise ValueError(f"{name} must be a timezone-aware datetime (T1)")


def qualification(
    person: Person,
    requirement: Requirement,
    *,
    at: dt.datetime,
    as_known_at: dt.datetime | None = None,
) -> RequirementAnswer:
    """Q4/Q8: is P qualified on R at T, as known at K (Q7)?"""
    return qualifications([(person, requirement, at)], as_known_at=as_known_at)[0]


def qualifications(
    questions: Iterable[tuple[Person, Requirement, dt.datetime]],
    *,
    as_known_at: dt.datetime | None = None,
) -> list[RequirementAnswer]:
    """Q4 for many (person, requirement, instant) questions at once, in order: the facts
    of each batch of MAX_PAIRS questions are loaded together (the instants may differ,
    the facts do not depend on them), so a rule asking about many people costs a
    bounded number of queries rather than a few per person."""
    _aware("as_known_at", as_known_at)
    questions = list(questions)
    answers: list[RequirementAnswer] = []
    for start in range(0, len(questions), MAX_PAIRS):
        batch = questions[start : start + MAX_PAIRS]
        for _, _, at in batch:
            _aware("at", at)
        facts = Facts(as_known_at)
        facts.add_people(person for person, _, _ in batch)
        facts.add_requirements(requirement for _, requirement, _ in batch)
        facts.load((person.pk, requirement.pk) for person, requirement, _ in batch)
        evaluator = Evaluator(facts)
        answers.extend(
            evaluator.answer(person.pk, requirement.pk, at) for person, requirement, at in batch
        )
    return answers


def qualified_at_instants(
    pairs: Iterable[tuple[int, int]],
    instants: Sequence[dt.datetime],
    *,
    as_known_at: dt.datetime | None = None,
) -> list[tuple[bool, ...]]:
    """Q4 for many (person id, requirement id) pairs, each at every one of `instants`:
    `is_qualified` for every pair and instant, in order, from one load of the facts per
    batch of MAX_PAIRS pairs whatever the number of instants (the facts do not depend
    on them). For a set question over people known by id (who loses a qualification
    when a revision takes effect, G3/Q4): no Person instances are needed."""
    _aware("as_known_at", as_known_at)
    for at in instants:
        _aware("at", at)
    pairs = list(pairs)
    answers: list[tuple[bool, ...]] = []
    for start in range(0, len(pairs), MAX_PAIRS):
        batch = pairs[start : start + MAX_PAIRS]
        facts = Facts(as_known_at)
        facts.load(batch)
        evaluator = Evaluator(facts, instances=False)
        answers.extend(
            tuple(evaluator.qualified(person_id, requirement_id, at) for at in instants)
            for person_id, requirement_id in batch
        )
    return answers


def lost_between(
    pairs: Iterable[tuple[int, int]],
    before: dt.datetime,
    at: dt.datetime,
    *,
    as_known_at: dt.datetime | None = None,
) -> list[bool]:
    """Q4 across a change, for many (person id, requirement id) pairs: qualified at
    `before` and not at `at`, in order (who loses a qualification when a revision
    takes effect, G3). From one load of the facts per batch of MAX_PAIRS pairs, as
    `qualified_at_instants`; `at` is asked only of the pairs qualified at `before`."""
    _aware("as_known_at", as_known_at)
    _aware("before", before)
    _aware("at", at)
    pairs = list(pairs)
    lost: list[bool] = []
    for start in range(0, len(pairs), MAX_PAIRS):
        batch = pairs[start : start + MAX_PAIRS]
        facts = Facts(as_known_at)
        facts.load(batch)
        qualified = Evaluator(facts, instances=False).qualified
        lost.extend(qualified(p, r, before) and not qualified(p, r, at) for p, r in batch)
    return lost


def is_qualified(
    person: Person,
    requirement: Requirement,
    *,
    at: dt.datetime,
    as_known_at: dt.datetime | None = None,
) -> bool:
    return qualification(person, requirement, at=at, as_known_at=as_known_at).qualified


def document_qualification(
    person: Person,
    document: Document,
    *,
    at: dt.datetime,
    as_known_at: dt.datetime | None = None,
) -> DocumentAnswer:
    """Q4 for a document: the version effective at T (Q1, as known at K) and one
    answer per linked requirement."""
    return check_many([(person, document)], at=at, as_known_at=as_known_at)[0]


def check_many(
    pairs: Iterable[tuple[Person, Document]],
    *,
    at: dt.datetime,
    as_known_at: dt.datetime | None = None,
) -> list[DocumentAnswer]:
    """Answer up to MAX_PAIRS (person, document) questions with a bounded number of
    queries, in the given order: two (the documents' versions and requirements; the
    records with their corrections, signatures and requalification orders), one more
    for the site policy when a document has no training defined, and up to four per
    level of trainer chain (requirements, their documents, records, trainers)."""
    _aware("at", at)
    return document_qualifications(
        [(person, document, at) for person, document in pairs], as_known_at=as_known_at
    )


def document_qualifications(
    questions: Iterable[tuple[Person, Document, dt.datetime]],
    *,
    as_known_at: dt.datetime | None = None,
) -> list[DocumentAnswer]:
    """check_many with an instant per question (a batch record: each execution at the
    instant it was performed), at most MAX_PAIRS per call, with the same bounded
    number of queries: the facts do not depend on the instants."""
    _aware("as_known_at", as_known_at)
    questions = list(questions)
    if len(questions) > MAX_PAIRS:
        raise ValueError(f"check_many answers at most {MAX_PAIRS} pairs per call")
    for _, _, at in questions:
        _aware("at", at)
    facts = Facts(as_known_at)
    facts.add_people(person for person, _, _ in questions)
    facts.add_documents(document for _, document, _ in questions)
    keyed = [(person, document, person.pk, document.pk, at) for person, document, at in questions]
    linked = facts.requirements_of_documents(dict.fromkeys(d for _, _, _, d, _ in keyed))
    facts.load((p, r.pk) for _, _, p, d, _ in keyed for r in linked[d])
    facts.load_sites({person.site_id for person, _, _, d, _ in keyed if not linked[d]})
    evaluator = Evaluator(facts)
    answers = []
    for person, document, person_id, document_id, at in keyed:
        effective = facts.effective_version(document_id, at)
        requirements = linked[document_id]
        if not requirements:
            # Q4: "no training defined"; a gate follows the site's policy. With no
            # version in force there is nothing to be qualified on either way.
            allowed = facts.site_allows.get(person.site_id, False)
            left = facts.had_left(person_id, at)  # Q9
            qualified = allowed and effective is not None and not left
            reasons = [Reason.NO_TRAINING_DEFINED]
            if effective is None:
                reasons.append(Reason.NO_EFFECTIVE_VERSION)
            if left:
                reasons.append(Reason.PERSON_LEFT)
            answers.append(
                DocumentAnswer(
                    person=person,
                    document=document,
                    at=at,
                    as_known_at=as_known_at,
                    qualified=qualified,
                    effective_version=facts.version_instance(effective),
                    reasons=() if qualified else ordered(reasons),
                    no_training_defined=True,
                )
            )
            continue
        results = []
        for requirement in requirements:
            answer = evaluator.answer(person_id, requirement.pk, at)
            if answer.person is not person:  # the caller's object, not a loaded copy
                answer = _with_person(answer, person)
            results.append(answer)
        qualified = all(a.qualified for a in results)
        answers.append(
            DocumentAnswer(
                person=person,
                document=document,
                at=at,
                as_known_at=as_known_at,
                qualified=qualified,
                effective_version=facts.version_instance(effective),
                requirements=tuple(results),
                reasons=ordered(r for a in results for r in a.reasons),
            )
        )
    return answers


def _with_person(answer: RequirementAnswer, person: Person) -> RequirementAnswer:
    return replace(answer, person=person)
