"""Assessment reads: the one place pages, the API and other apps read assessments,
attempts and item statistics from (client restriction applied here, U2).

What a person sees of an attempt in progress comes from `shown_items()`, which never
carries the correct answers: those are read only once the attempt is submitted
(`result_items()`).
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from qualify.assessments import services
from qualify.assessments.models import (
    Assessment,
    Attempt,
    AttemptItem,
    AttemptStatus,
    BankQuestion,
    QuestionKind,
)
from qualify.documents.models import Document, DocumentType, DocumentVersion
from qualify.org.models import Person
from qualify.org.scoping import restrict
from qualify.training.models import Requirement, TrainingRecord


def assessments(user: Any) -> QuerySet[Assessment]:
    return restrict(
        Assessment.objects.select_related("requirement", "bank"), user, "requirement__client"
    )


def assessment_for(target: Requirement | Document) -> Assessment | None:
    """The active assessment of a requirement, or of the first requirement linked to a
    document that has one."""
    rows = Assessment.objects.select_related("requirement", "bank").filter(active=True)
    if isinstance(target, Document):
        return rows.filter(requirement__document=target, requirement__active=True).first()
    return rows.filter(requirement=target).first()


def bank_documents(user: Any) -> QuerySet[Document]:
    return restrict(Document.objects.filter(doc_type=DocumentType.QUESTION_BANK), user)


def bank_versions(user: Any) -> QuerySet[DocumentVersion]:
    return restrict(
        DocumentVersion.objects.select_related("document").filter(
            document__doc_type=DocumentType.QUESTION_BANK
        ),
        user,
        "document__client",
    )


def my_attempts(user: Any) -> QuerySet[Attempt]:
    """The signed-in person's own attempts (nobody else's, whatever their role)."""
    return Attempt.objects.select_related(
        "assessment__requirement", "bank_version__document", "record"
    ).filter(person__user_id=getattr(user, "pk", None))


def attempts(user: Any) -> QuerySet[Attempt]:
    """Attempts the user may read as a trainer, coordinator or auditor (client rule)."""
    return restrict(
        Attempt.objects.select_related(
            "assessment__requirement", "bank_version__document", "person", "record"
        ),
        user,
        "assessment__requirement__client",
    )


@dataclass
class AssessmentState:
    """Where a person stands on a requirement's assessment (for the assignment page,
    the e-learning flow and the API)."""

    assessment: Assessment | None
    person: Person | None
    in_progress: Attempt | None = None
    latest: Attempt | None = None
    passed_unsigned: Attempt | None = None
    passed_and_signed: bool = False
    record: TrainingRecord | None = None
    can_start: bool = False
    why_not: str = ""
    retake_from: dt.datetime | None = None
    attempts_used: int = 0
    attempts_left: int | None = None
    history: list[Attempt] = field(default_factory=list)


def assessment_state(
    person: Person | None, requirement: Requirement, *, at: dt.datetime | None = None
) -> AssessmentState:
    assessment = assessment_for(requirement)
    state = AssessmentState(assessment=assessment, person=person)
    if assessment is None or person is None:
        state.why_not = "This training has no assessment." if assessment is None else ""
        return state
    now = at or timezone.now()
    counting = list(services.counting_attempts(assessment, person).order_by("-started_at", "-pk"))
    state.history = list(
        Attempt.objects.filter(assessment=assessment, person=person)
        .select_related("record", "bank_version__document")
        .order_by("-started_at", "-pk")
    )
    state.latest = state.history[0] if state.history else None
    state.in_progress = next((a for a in counting if a.status == AttemptStatus.IN_PROGRESS), None)
    passed = [a for a in counting if a.status == AttemptStatus.PASSED]
    if passed:
        if passed[0].record_id is not None:
            state.passed_and_signed, state.record = True, passed[0].record
        else:
            state.passed_unsigned = passed[0]
    state.attempts_used = sum(
        1 for a in counting if a.finished or a.status == AttemptStatus.IN_PROGRESS
    )
    if assessment.attempt_limit is not None:
        state.attempts_left = max(assessment.attempt_limit - state.attempts_used, 0)
    why = services.start_problem(assessment, person, now)
    state.can_start, state.why_not = why is None, why or ""
    state.retake_from = services.retake_from(assessment, person)
    return state


@dataclass
class ShownItem:
    """A drawn question as the person sees it while answering: no answer key."""

    position: int
    topic: str
    kind: str
    kind_label: str
    prompt: str
    excerpt: str
    options: list[tuple[int, str]]  # (shown position, text)


def shown_items(attempt: Attempt) -> list[ShownItem]:
    out = []
    for item in attempt.items.select_related("question").order_by("position"):
        q = item.question
        texts = {o["key"]: o["text"] for o in q.options}
        out.append(
            ShownItem(
                position=item.position,
                topic=q.topic,
                kind=q.kind,
                kind_label=QuestionKind(q.kind).label,
                prompt=q.prompt,
                excerpt=q.excerpt,
                options=[(n, texts[key]) for n, key in enumerate(item.option_order, 1)],
            )
        )
    return out


@dataclass
class ResultItem:
    position: int
    topic: str
    prompt: str
    kind_label: str
    given: str
    expected: str
    correct: bool | None
    explanation: str


def _words(question: BankQuestion, value: Any, *, expected: bool = False) -> str:
    texts = {o["key"]: o["text"] for o in question.options}
    kind = question.kind
    if value is None:
        return "(no answer)"
    if kind in (QuestionKind.SINGLE, QuestionKind.WRONG_STEP):
        return texts.get(value, "?")
    if kind in (QuestionKind.MULTIPLE, QuestionKind.ORDERING):
        joiner = " → " if kind == QuestionKind.ORDERING else "; "
        return joiner.join(texts.get(k, "?") for k in value)
    if kind == QuestionKind.TRUE_FALSE:
        return "True" if value else "False"
    if kind == QuestionKind.NUMERIC and expected:
        return f"{value['value']:g} ± {value['tolerance']:g}"
    if kind == QuestionKind.SHORT_TEXT and expected:
        return " or ".join(value["accepted"])
    return str(value)


def _expected(question: BankQuestion) -> str:
    answer, kind = question.answer, question.kind
    if kind in (QuestionKind.SINGLE, QuestionKind.WRONG_STEP, QuestionKind.MULTIPLE):
        return _words(question, answer["correct"])
    if kind == QuestionKind.TRUE_FALSE:
        return _words(question, answer["correct"])
    if kind == QuestionKind.ORDERING:
        return _words(question, answer["order"])
    if kind == QuestionKind.FREE_TEXT:
        return answer.get("guidance") or "(judged by a trainer)"
    return _words(question, answer, expected=True)


def result_items(attempt: Attempt) -> list[ResultItem]:
    """The answers with what was expected: only once the attempt is submitted."""
    if attempt.status == AttemptStatus.IN_PROGRESS:
        raise ValueError("an attempt in progress has no result to show")
    out = []
    for item in attempt.items.select_related("question").order_by("position"):
        q = item.question
        out.append(
            ResultItem(
                position=item.position,
                topic=q.topic,
                prompt=q.prompt,
                kind_label=QuestionKind(q.kind).label,
                given=_words(q, item.response),
                expected=_expected(q),
                correct=item.correct,
                explanation=q.explanation,
            )
        )
    return out


@dataclass
class TopicResult:
    topic: str
    correct: int
    total: int

    @property
    def missed(self) -> bool:
        return self.correct < self.total


def topics(attempt: Attempt) -> list[TopicResult]:
    found: dict[str, TopicResult] = {}
    for item in attempt.items.select_related("question"):
        row = found.setdefault(item.question.topic, TopicResult(item.question.topic, 0, 0))
        row.total += 1
        row.correct += 1 if item.correct else 0
    return sorted(found.values(), key=lambda t: t.topic)


# --- item statistics --------------------------------------------------------------------


@dataclass
class ItemStatistic:
    key: str
    topic: str
    prompt: str
    answered: int
    difficulty: float | None  # proportion correct
    discrimination: float | None  # point-biserial with the rest score


def _point_biserial(pairs: list[tuple[int, float]]) -> float | None:
    """r_pb between an item (0/1) and the rest score (the attempt's proportion correct
    on its other items); None when either does not vary."""
    n = len(pairs)
    if n < 2:
        return None
    ones = [rest for hit, rest in pairs if hit]
    zeros = [rest for hit, rest in pairs if not hit]
    if not ones or not zeros:
        return None
    rests = [rest for _, rest in pairs]
    mean = sum(rests) / n
    sd = math.sqrt(sum((r - mean) ** 2 for r in rests) / n)
    if sd == 0:
        return None
    p = len(ones) / n
    m1, m0 = sum(ones) / len(ones), sum(zeros) / len(zeros)
    return (m1 - m0) / sd * math.sqrt(p * (1 - p))


def item_statistics(version: DocumentVersion) -> list[ItemStatistic]:
    """Per question of a bank version, over every scored attempt on it (passed or
    failed; not expired, void or waiting for review): difficulty = proportion correct,
    discrimination = point-biserial correlation with the rest score."""
    items = list(
        AttemptItem.objects.filter(
            attempt__bank_version=version,
            attempt__status__in=[AttemptStatus.PASSED, AttemptStatus.FAILED],
        ).values_list("attempt_id", "question_id", "correct")
    )
    per_attempt: dict[int, list[tuple[int, bool]]] = {}
    for attempt_id, question_id, correct in items:
        per_attempt.setdefault(attempt_id, []).append((question_id, bool(correct)))
    pairs: dict[int, list[tuple[int, float]]] = {}
    for rows in per_attempt.values():
        total = sum(1 for _, c in rows if c)
        for question_id, correct in rows:
            others = len(rows) - 1
            rest = (total - (1 if correct else 0)) / others if others else 0.0
            pairs.setdefault(question_id, []).append((1 if correct else 0, rest))
    out = []
    for q in BankQuestion.objects.filter(version=version).order_by("position"):
        data = pairs.get(q.pk, [])
        out.append(
            ItemStatistic(
                key=q.key,
                topic=q.topic,
                prompt=q.prompt,
                answered=len(data),
                difficulty=(sum(h for h, _ in data) / len(data)) if data else None,
                discrimination=_point_biserial(data),
            )
        )
    return out


@dataclass(frozen=True)
class FirstAttempt:
    """A person's first attempt at a requirement's assessment, shaped as training
    effectiveness groups it (by the requirement's document and by the trainer)."""

    person_id: int
    requirement: Requirement
    trainer: Any
    trainer_id: int | None
    attempt: Attempt


def first_attempts(records: QuerySet[TrainingRecord]) -> tuple[set[int], dict]:
    """Training effectiveness's first attempts read from Attempt rows, for the
    requirements among `records` (the caller's visible records) that have an
    assessment: (those requirement ids, {(person, requirement): (FirstAttempt, passed)}).

    The first attempt per person and requirement is the earliest one started that was
    not voided by a retired bank (a void attempt was never judged); passed or not, it
    is that person's first attempt. While it is still in progress or waiting for a
    trainer's review it is not counted yet. Only people with a visible record of the
    requirement are read (the caller's client and own-records restriction)."""
    # Issue 18: asked per assessment (few) rather than listing every record's requirement.
    of_assessment = records.filter(requirement_id=OuterRef("requirement_id"))
    requirement_ids = set(
        Assessment.objects.filter(Exists(of_assessment))
        .order_by()
        .values_list("requirement_id", flat=True)
    )
    if not requirement_ids:
        return set(), {}
    pairs = set(
        records.filter(requirement_id__in=requirement_ids).values_list(
            "person_id", "requirement_id"
        )
    )
    rows = (
        Attempt.objects.filter(
            assessment__requirement_id__in=requirement_ids,
            person_id__in={person for person, _ in pairs},
        )
        .exclude(status=AttemptStatus.VOID)
        .select_related("assessment__requirement__document", "record__trainer")
        .order_by("started_at", "pk")
    )
    seen: set[tuple[int, int]] = set()
    out: dict[tuple[int, int], tuple[FirstAttempt, bool]] = {}
    for attempt in rows:
        key = (attempt.person_id, attempt.assessment.requirement_id)
        if key in seen or key not in pairs:
            continue
        seen.add(key)
        if attempt.status not in (
            AttemptStatus.PASSED,
            AttemptStatus.FAILED,
            AttemptStatus.EXPIRED,
        ):
            continue  # the first attempt is not decided yet
        trainer = attempt.record.trainer if attempt.record_id else None
        out[key] = (
            FirstAttempt(
                person_id=attempt.person_id,
                requirement=attempt.assessment.requirement,
                trainer=trainer,
                trainer_id=trainer.pk if trainer is not None else None,
                attempt=attempt,
            ),
            attempt.status == AttemptStatus.PASSED,
        )
    return requirement_ids, out
