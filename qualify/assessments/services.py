"""Assessment services (L1, L2): the bank editor, assessment definitions, attempts
(start, submit, review, sign).

Hazards:
- Correct answers are read from BankQuestion rows on the server only; nothing here
  returns them for an attempt still in progress.
- A late submission, a submission on a retired bank version, and every refused
  submission are audited in a transaction of their own (A5) that outlives the
  refusal; the late attempt is ended as failed and the void one as void in that same
  transaction, and nothing of the refused answers is stored.
- One attempt in progress per person is a database constraint; the check before it
  only gives the clear message.
- The trainee's signature goes through qualify.signatures (S1), authenticated before
  the transaction, via training's record service so the record, its signature and the
  completed assignment (G7) are one transaction with the attempt's link to them.
"""

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qualify.assessments import bank, drawing, scoring
from qualify.assessments.models import (
    Assessment,
    Attempt,
    AttemptItem,
    AttemptStatus,
    BankQuestion,
    QuestionKind,
)
from qualify.audit import services as audit
from qualify.audit.canonical import jcs_sha256_hex
from qualify.documents import queries as document_queries
from qualify.documents import services as documents
from qualify.documents.models import Document, DocumentType, DocumentVersion, VersionStatus
from qualify.edge import whole_number
from qualify.guards import AlreadyDone, require_perm, require_reason
from qualify.org.models import Person
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials
from qualify.training import paths as training_paths
from qualify.training.models import Assignment, AssignmentStatus, Evidence, Requirement
from qualify.training.services import elearning
from qualify.training.services.paths import check_prerequisites
from qualify.training.services.records.assessment import record_assessment_attempt

TOKEN_SALT = "qualify.assessments.attempt-form"


def grace() -> dt.timedelta:
    """Allowance after the time limit for the request in flight (network, a slow
    click); configurable, default 5 seconds."""
    return dt.timedelta(seconds=settings.QUALIFY_ASSESSMENT_GRACE_SECONDS)


def _durably(fn: Any) -> Any:
    """Run fn in a transaction that commits before a refusal is raised (like
    audit.record_refusal): joined when the caller holds an enclosing transaction."""
    connection = transaction.get_connection()
    outer = [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]
    if outer:
        return fn()
    with transaction.atomic(durable=True):
        return fn()


def _refuse(actor: Any, why: str, *, obj: Any = None, detail: dict | None = None) -> None:
    audit.record_refusal("assessment.attempt.refused", actor=actor, why=why, obj=obj, detail=detail)
    raise ValidationError(why)


# --- the bank editor ---------------------------------------------------------------------


def _check_bank_draft(version: DocumentVersion) -> None:
    if version.document.doc_type != DocumentType.QUESTION_BANK:
        raise ValidationError(f"{version.document.number} is not a question bank.")
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            f"Revision {version.revision} of {version.document.number} is "
            f"{version.get_status_display().lower()}; only a draft's questions can change."
        )


def bank_save(
    *,
    actor: Any,
    version: DocumentVersion,
    text: str | bytes | None = None,
    questions: list[dict] | None = None,
    fmt: str = "yaml",
    reason: str = "",
) -> list[BankQuestion]:
    """Replace the questions of a bank's draft version with those of `text` (YAML or
    JSON in the interchange format of qualify.assessments.bank) or of `questions`
    (already parsed). The version's content text becomes their summary and hash, so
    the signatures of its review and approval cover them (L2). All or nothing: one
    problem anywhere refuses the whole text, listing every problem."""
    require_perm(
        actor,
        "documents.manage_documents",
        message="Only a document controller can change a question bank.",
    )
    reason = require_reason(reason or "Questions saved in the bank editor")
    check_client(actor, version.document.client_id)
    _check_bank_draft(version)
    if questions is None:
        if text is None:
            raise ValidationError({"questions": "Give the questions."})
        rows = bank.parse(text, "json" if fmt == "json" else "yaml")
    else:
        rows = bank.normalise({"questions": questions})
    with transaction.atomic():
        version = (
            DocumentVersion.objects.select_for_update()
            .select_related("document")
            .get(pk=version.pk)
        )
        _check_bank_draft(version)
        BankQuestion.objects.filter(version=version).delete()  # a draft's, never signed
        saved = BankQuestion.objects.bulk_create(
            BankQuestion(version=version, position=n, **row) for n, row in enumerate(rows, 1)
        )
        documents.version_update_draft(
            actor=actor, version=version, reason=reason, content_text=bank.summary(rows)
        )
        audit.record(
            "assessment.bank.saved",
            version,
            actor=actor,
            reason=reason,
            detail={"questions": len(rows), "sha256": bank.content_hash(rows)},
        )
    return saved


# --- definitions ---------------------------------------------------------------------------


def _bank_in_force(document: Document, at: dt.datetime) -> DocumentVersion | None:
    return document_queries.effective_version(document, at=at)


def _check_definition(
    requirement: Requirement, bank_document: Document, per_topic: Any, fields: dict
) -> dict:
    errors: dict[str, str] = {}
    if bank_document.doc_type != DocumentType.QUESTION_BANK:
        errors["bank"] = f"{bank_document.number} is not a question bank."
    if requirement.evidence_required != Evidence.ASSESSMENT:
        errors["requirement"] = (
            f"{requirement.code} does not require an assessment (evidence of understanding)."
        )
    if not isinstance(per_topic, dict) or not per_topic:
        errors["per_topic"] = "Say how many questions to draw from each topic."
        per_topic = {}
    counts: dict[str, int] = {}
    for topic, n in per_topic.items():
        try:
            value = int(n)
        except (TypeError, ValueError):
            value = -1
        if not str(topic).strip() or value < 1 or value > 200:
            errors["per_topic"] = f"Draw from 1 to 200 questions per topic ({topic!r}: {n!r})."
        counts[str(topic).strip()] = value
    mark = fields.get("pass_mark")
    if mark is None:
        mark = requirement.pass_mark
    try:
        mark = Decimal(str(mark)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        errors["pass_mark"] = "The pass mark is a percentage."
        mark = None
    if mark is not None and not Decimal(0) < mark <= Decimal(100):
        errors["pass_mark"] = "The pass mark is a percentage above 0 and at most 100."
    if mark is not None and requirement.pass_mark is not None and mark != requirement.pass_mark:
        errors["pass_mark"] = (
            f"{requirement.code} is judged against its pass mark of {requirement.pass_mark} "
            "(Q8); the assessment uses the same."
        )
    for name in ("attempt_limit", "time_limit_minutes"):
        value = fields.get(name)
        if value is not None and (not isinstance(value, int) or value < 1):
            errors[name] = "Leave it empty or give a whole number of at least 1."
    cooldown = fields.get("cooldown_minutes", 0)
    if not isinstance(cooldown, int) or cooldown < 0:
        errors["cooldown_minutes"] = "The cool-down is a whole number of minutes, 0 or more."
    if not errors:
        version = _bank_in_force(bank_document, timezone.now())
        if version is None:
            errors["bank"] = f"{bank_document.number} has no approved version in force."
        else:
            problem = _draw_problem(version, counts, bool(fields.get("trainer_review")))
            if problem:
                errors["per_topic"] = problem
    if errors:
        raise ValidationError(errors)
    return {**fields, "pass_mark": mark, "per_topic": counts}


def _draw_problem(version: DocumentVersion, per_topic: dict, trainer_review: bool) -> str | None:
    questions = bank.questions_of(version)
    short = drawing.shortfalls(questions, per_topic)
    if short:
        return f"{version}: " + "; ".join(short.values()) + "."
    if not trainer_review and any(
        q.kind == QuestionKind.FREE_TEXT and q.topic in per_topic for q in questions
    ):
        return (
            f"{version} has free-text questions in these topics: they need a trainer's "
            "review; turn it on."
        )
    return None


@transaction.atomic
def assessment_define(
    *,
    actor: Any,
    requirement: Requirement,
    bank: Document,
    per_topic: dict[str, int],
    pass_mark: Any = None,
    attempt_limit: int | None = None,
    time_limit_minutes: int | None = None,
    cooldown_minutes: int = 0,
    trainer_review: bool = False,
) -> Assessment:
    """Bind an assessment to a requirement: drawn from `bank`'s version in force."""
    require_perm(
        actor,
        "assessments.manage_assessments",
        message="Only a training coordinator can define assessments.",
    )
    check_client(actor, requirement.client_id)
    check_client(actor, bank.client_id)
    if Assessment.objects.filter(requirement=requirement).exists():
        raise ValidationError({"requirement": f"{requirement.code} already has an assessment."})
    fields = _check_definition(
        requirement,
        bank,
        per_topic,
        {
            "pass_mark": pass_mark,
            "attempt_limit": attempt_limit,
            "time_limit_minutes": time_limit_minutes,
            "cooldown_minutes": cooldown_minutes,
            "trainer_review": trainer_review,
        },
    )
    assessment = Assessment(
        requirement=requirement,
        bank=bank,
        created_at=timezone.now(),
        created_by=actor,
        **fields,
    )
    assessment.full_clean()
    assessment.save()
    audit.record("assessment.defined", assessment, actor=actor)
    return assessment


ASSESSMENT_FIELDS = {
    "per_topic",
    "pass_mark",
    "attempt_limit",
    "time_limit_minutes",
    "cooldown_minutes",
    "trainer_review",
    "active",
}


@transaction.atomic
def assessment_update(
    *, actor: Any, assessment: Assessment, reason: str, **changes: Any
) -> Assessment:
    """Change how an assessment draws and judges; attempts already started keep
    what they drew."""
    require_perm(
        actor,
        "assessments.manage_assessments",
        message="Only a training coordinator can change assessments.",
    )
    reason = require_reason(reason)
    unknown = set(changes) - ASSESSMENT_FIELDS
    if unknown:
        raise ValidationError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    check_client(actor, assessment.requirement.client_id)
    before = audit.state_of(assessment)
    current = {name: getattr(assessment, name) for name in ASSESSMENT_FIELDS - {"active"}}
    current.update({k: v for k, v in changes.items() if k != "active"})
    per_topic = current.pop("per_topic")
    fields = _check_definition(assessment.requirement, assessment.bank, per_topic, current)
    for name, value in fields.items():
        setattr(assessment, name, value)
    if "active" in changes:
        assessment.active = bool(changes["active"])
    assessment.full_clean()
    assessment.save()
    audit.record("assessment.updated", assessment, actor=actor, before=before, reason=reason)
    return assessment


# --- attempts ---------------------------------------------------------------------------


def person_of(actor: Any) -> Person:
    person = (
        Person.objects.select_related("site").filter(user_id=getattr(actor, "pk", None)).first()
    )
    if person is None:
        raise PermissionDenied("Only a person with training records takes assessments.")
    if not person.active:
        raise ValidationError("Your person record is deactivated.")
    return person


def window_start(person: Person, requirement: Requirement) -> dt.datetime | None:
    """Attempts count from the open assignment's creation (a new assignment, e.g. a
    revision or a requalification, gives a fresh set of attempts); None: all count."""
    assignment = Assignment.objects.filter(
        person=person, requirement=requirement, status=AssignmentStatus.OPEN
    ).first()
    return assignment.created_at if assignment is not None else None


def counting_attempts(assessment: Assessment, person: Person):
    rows = Attempt.objects.filter(assessment=assessment, person=person).exclude(
        status=AttemptStatus.VOID
    )
    since = window_start(person, assessment.requirement)
    if since is not None:
        rows = rows.filter(started_at__gte=since)
    return rows


def _expire(attempt: Attempt, actor: Any, now: dt.datetime) -> None:
    """End an attempt whose time limit passed: failed, nothing of late answers kept."""
    before = audit.state_of(attempt)
    attempt.status = AttemptStatus.EXPIRED
    attempt.ended_at = now
    attempt.score = Decimal("0.00")
    attempt.save(update_fields=["status", "ended_at", "score"])
    audit.record(
        "assessment.attempt.expired",
        attempt,
        actor=actor,
        before=before,
        reason=f"Time limit ended at {attempt.deadline:%Y-%m-%d %H:%M:%S} UTC",
    )


def _void(attempt: Attempt, actor: Any, now: dt.datetime, why: str) -> None:
    before = audit.state_of(attempt)
    attempt.status = AttemptStatus.VOID
    attempt.ended_at = now
    attempt.save(update_fields=["status", "ended_at"])
    audit.record("assessment.attempt.voided", attempt, actor=actor, before=before, reason=why)


def _late(attempt: Attempt, now: dt.datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + grace()


def _retired_why(attempt: Attempt, now: dt.datetime) -> str | None:
    current = _bank_in_force(attempt.assessment.bank, now)
    if current is not None and current.pk == attempt.bank_version_id:
        return None
    bank_version = attempt.bank_version
    return (
        f"{bank_version} was retired (the bank is now "
        f"{'at ' + str(current) if current else 'withdrawn from use'}); this attempt is void. "
        "Start again on the version in force."
    )


def start_problem(assessment: Assessment, person: Person, now: dt.datetime) -> str | None:
    """Why `person` cannot start `assessment` now, in words; None when they can."""
    if not assessment.active or not assessment.requirement.active:
        return f"The assessment of {assessment.requirement.code} is no longer in use."
    # L4: a locked item is shown with its missing prerequisite (attempt_start refuses
    # it, audited, through training's check_prerequisites).
    missing = training_paths.missing_prerequisites(person, assessment.requirement, at=now)
    if missing:
        return training_paths.prerequisite_refusal(assessment.requirement, missing)
    # E-learning: the document is read in the viewer before its assessment opens.
    reading = elearning.reading_problem(person, assessment.requirement)
    if reading:
        return reading
    busy = (
        Attempt.objects.filter(person=person, status=AttemptStatus.IN_PROGRESS)
        .select_related("assessment__requirement")
        .first()
    )
    if busy is not None and not _late(busy, now):
        return (
            f"You already have an attempt in progress on {busy.assessment.requirement.code} "
            f"(started {busy.started_at:%Y-%m-%d %H:%M} UTC): finish it first."
        )
    rows = list(counting_attempts(assessment, person).order_by("started_at", "pk"))
    waiting = [a for a in rows if a.status == AttemptStatus.IN_REVIEW]
    if waiting:
        return "Your last attempt is waiting for a trainer's review of its free-text answers."
    passed = [a for a in rows if a.status == AttemptStatus.PASSED]
    if passed:
        last = passed[-1]
        if last.record_id is None:
            return "You passed this assessment: sign the result to complete it."
        return f"You passed this assessment on {last.ended_at:%Y-%m-%d}."
    failed = [a for a in rows if a.finished or (a.status == AttemptStatus.IN_PROGRESS)]
    if assessment.attempt_limit is not None and len(failed) >= assessment.attempt_limit:
        return (
            f"You have used all {assessment.attempt_limit} attempts; your training "
            "coordinator decides what comes next."
        )
    ends = [a.ended_at for a in rows if a.ended_at is not None]
    if ends and assessment.cooldown_minutes:
        retake = max(ends) + dt.timedelta(minutes=assessment.cooldown_minutes)
        if now < retake:
            return f"You can take it again from {retake:%Y-%m-%d %H:%M} UTC (cool-down)."
    return None


def retake_from(assessment: Assessment, person: Person) -> dt.datetime | None:
    ends = [a.ended_at for a in counting_attempts(assessment, person) if a.ended_at is not None]
    if not ends or not assessment.cooldown_minutes:
        return None
    return max(ends) + dt.timedelta(minutes=assessment.cooldown_minutes)


def attempt_start(*, actor: Any, assessment: Assessment) -> Attempt:
    """Start an attempt on the bank version in force: the questions are drawn with a
    fresh seed stored on the attempt (options shuffled). Refused, and audited, when
    another attempt is in progress, the cool-down or attempt limit says no, or the
    bank has no version in force."""
    person = person_of(actor)
    assessment = Assessment.objects.select_related("requirement", "bank").get(pk=assessment.pk)
    check_client(actor, assessment.requirement.client_id)
    now = timezone.now()
    # An attempt left past its time limit is over: end it first (durably).
    stale = Attempt.objects.filter(person=person, status=AttemptStatus.IN_PROGRESS).first()
    if stale is not None and _late(stale, now):
        _durably(lambda: _expire(Attempt.objects.select_for_update().get(pk=stale.pk), actor, now))
    # L4: a locked item (prerequisite not complete and valid) cannot be started; the one
    # check of the training services refuses and audits it.
    check_prerequisites(actor=actor, person=person, requirement=assessment.requirement, at=now)
    why = start_problem(assessment, person, now)
    if why:
        _refuse(actor, why, obj=assessment, detail={"person": person.pk})
    version = _bank_in_force(assessment.bank, now)
    if version is None:
        _refuse(
            actor,
            f"{assessment.bank.number} has no version in force (retired): the assessment "
            "cannot be taken now.",
            obj=assessment,
        )
    integrity = bank.problem(version)
    if integrity:
        _refuse(actor, f"{version}: {integrity}", obj=assessment)
    problem = _draw_problem(version, assessment.per_topic, assessment.trainer_review)
    if problem:
        _refuse(actor, problem, obj=assessment)
    # Within JSON's safe integers (2**53), so the audit entry carries it exactly.
    seed = secrets.randbits(52)
    drawn = drawing.draw(bank.questions_of(version), assessment.per_topic, seed)
    try:
        with transaction.atomic():
            Person.objects.select_for_update().filter(pk=person.pk).values_list("pk").first()
            why = start_problem(assessment, person, now)
            if why:
                raise ValidationError(why)
            number = Attempt.objects.filter(assessment=assessment, person=person).count() + 1
            attempt = Attempt.objects.create(
                assessment=assessment,
                person=person,
                bank_version=version,
                number=number,
                seed=seed,
                started_at=now,
                deadline=(
                    now + dt.timedelta(minutes=assessment.time_limit_minutes)
                    if assessment.time_limit_minutes
                    else None
                ),
                pass_mark=assessment.pass_mark,
            )
            items = AttemptItem.objects.bulk_create(
                AttemptItem(
                    attempt=attempt,
                    question=d.question,
                    position=n,
                    option_order=list(d.option_order),
                )
                for n, d in enumerate(drawn, 1)
            )
            audit.record_many(
                [
                    audit.pending(
                        "assessment.attempt.started",
                        attempt,
                        actor=actor,
                        detail={"bank_version": str(version), "questions": len(items)},
                    ),
                    *(
                        audit.pending("assessment.attempt.started", item, actor=actor)
                        for item in items
                    ),
                ]
            )
    except IntegrityError:
        # Another request started one a moment ago (the constraint, L1).
        _refuse(actor, "You already have an assessment attempt in progress.", obj=assessment)
    except ValidationError as error:
        _refuse(actor, " ".join(error.messages), obj=assessment)
    return attempt


def form_token(attempt: Attempt) -> str:
    """The hidden field of the answer form: names the attempt and its questions, signed
    with the secret key, so a page altered to post for another attempt is caught."""
    positions = list(attempt.items.order_by("position").values_list("position", flat=True))
    return signing.dumps({"a": attempt.pk, "n": positions[-1] if positions else 0}, salt=TOKEN_SALT)


def _check_token(attempt: Attempt, token: str, count: int) -> bool:
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("a") == attempt.pk and data.get("n") == count


def _own_attempt(actor: Any, attempt: Attempt, *, lock: bool = False) -> Attempt:
    rows = Attempt.objects.select_related(
        "assessment__requirement", "assessment__bank", "bank_version__document", "person"
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    attempt = rows.get(pk=attempt.pk)
    if attempt.person.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the person taking an assessment answers it.")
    return attempt


def _parsed_answers(attempt: Attempt, items: list[AttemptItem], answers: Any) -> dict[int, Any]:
    """{position: stored response}; refuses answers for questions not drawn and values
    the page could not have sent."""
    if not isinstance(answers, dict):
        raise ValidationError("Send the answers as a mapping of question number to answer.")
    by_position = {item.position: item for item in items}
    parsed: dict[int, Any] = {}
    for raw_key, raw in answers.items():
        position = whole_number(str(raw_key).strip().lstrip("q"))
        if position not in by_position:
            raise ValidationError(
                f"An answer was sent for question {raw_key!r}, which this attempt did not draw; "
                "nothing was saved."
            )
        item = by_position[position]
        try:
            parsed[position] = scoring.parse(item.question.kind, item.option_order, raw)
        except scoring.BadAnswer as error:
            raise ValidationError(f"Question {position}: {error} Nothing was saved.") from None
    return parsed


def attempt_submit(
    *, actor: Any, attempt: Attempt, answers: Any, form_token: str | None = None
) -> Attempt:
    """Score the answers on the server (L1). Unanswered questions count as wrong; free
    text waits for a trainer's review. Refused (audited, nothing stored) after the
    time limit (the attempt ends as failed), on a retired bank version (the attempt
    becomes void), for a question not drawn or a value the page could not send."""
    attempt = _own_attempt(actor, attempt)
    now = timezone.now()
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise AlreadyDone(
            f"This attempt is already {attempt.get_status_display().lower()}; "
            "nothing new was saved.",
            existing=attempt,
        )
    if _late(attempt, now):

        def expire() -> None:
            locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
            if locked.status == AttemptStatus.IN_PROGRESS:
                _expire(locked, actor, now)

        _durably(expire)
        _refuse(
            actor,
            f"The time limit ended at {attempt.deadline:%H:%M:%S} UTC; answers sent after it "
            "are not accepted. The attempt is recorded as failed.",
            obj=attempt,
            detail={"deadline": attempt.deadline, "received": now},
        )
    retired = _retired_why(attempt, now)
    if retired:

        def void() -> None:
            locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
            if locked.status == AttemptStatus.IN_PROGRESS:
                _void(locked, actor, now, retired)

        _durably(void)
        _refuse(actor, retired, obj=attempt)
    items = list(attempt.items.select_related("question").order_by("position"))
    if form_token is not None and not _check_token(attempt, form_token, len(items)):
        _refuse(
            actor,
            "The answer form was altered (its hidden field does not belong to this attempt); "
            "nothing was saved. Reload the attempt and answer again.",
            obj=attempt,
        )
    try:
        parsed = _parsed_answers(attempt, items, answers)
    except ValidationError as error:
        _refuse(actor, " ".join(error.messages), obj=attempt)
    with transaction.atomic():
        attempt = _own_attempt(actor, attempt, lock=True)
        if attempt.status != AttemptStatus.IN_PROGRESS:
            raise AlreadyDone("This attempt was already submitted.", existing=attempt)
        events = []
        for item in items:
            before = audit.state_of(item)
            item.response = parsed.get(item.position)
            question = item.question
            item.correct = scoring.is_correct(question.kind, question.answer, item.response)
            item.save(update_fields=["response", "correct"])
            events.append(
                audit.pending(
                    "assessment.attempt.submitted",
                    item,
                    actor=actor,
                    before=before,
                    reason="Answered",
                )
            )
        before = audit.state_of(attempt)
        attempt.submitted_at = now
        _settle(attempt, items, now)
        attempt.save()
        events.append(
            audit.pending(
                "assessment.attempt.submitted",
                attempt,
                actor=actor,
                before=before,
                reason="Submitted for scoring",
                detail={"missed_topics": missed_topics(items)},
            )
        )
        audit.record_many(events)
    return attempt


def _settle(attempt: Attempt, items: list[AttemptItem], now: dt.datetime) -> None:
    """Score and status from the items: in review while a free-text item is unjudged."""
    if any(item.correct is None for item in items):
        attempt.status = AttemptStatus.IN_REVIEW
        attempt.score = None
        return
    attempt.score = scoring.percent(sum(1 for item in items if item.correct), len(items))
    attempt.status = (
        AttemptStatus.PASSED if attempt.score >= attempt.pass_mark else AttemptStatus.FAILED
    )
    attempt.ended_at = now


def missed_topics(items: list[AttemptItem]) -> list[str]:
    return sorted({item.question.topic for item in items if item.correct is False})


def attempt_review(
    *, actor: Any, attempt: Attempt, verdicts: dict[Any, bool], comment: str = ""
) -> Attempt:
    """A trainer judges the free-text answers (True: acceptable); the score then
    stands. The trainee cannot review their own attempt."""
    require_perm(
        actor,
        "assessments.review_answers",
        message="Only a trainer or coordinator reviews free-text answers.",
    )
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("person", "assessment__requirement")
            .get(pk=attempt.pk)
        )
        check_client(actor, attempt.assessment.requirement.client_id)
        if attempt.person.user_id == actor.pk:
            raise PermissionDenied("A trainee cannot review their own answers.")
        if attempt.status != AttemptStatus.IN_REVIEW:
            raise ValidationError("This attempt is not waiting for a review.")
        items = list(attempt.items.select_related("question").order_by("position"))
        open_items = {item.position: item for item in items if item.correct is None}
        given = {}
        for key, value in (verdicts or {}).items():
            position = whole_number(str(key).lstrip("q"))
            if position not in open_items:
                raise ValidationError(f"Question {key} is not a free-text answer to review.")
            given[position] = bool(value)
        missing = sorted(set(open_items) - set(given))
        if missing:
            raise ValidationError(
                f"Judge every free-text answer: question(s) {', '.join(map(str, missing))}."
            )
        events = []
        for position, verdict in given.items():
            item = open_items[position]
            before = audit.state_of(item)
            item.correct = verdict
            item.reviewed_by = actor
            item.review_comment = (comment or "").strip()
            item.save(update_fields=["correct", "reviewed_by", "review_comment"])
            events.append(
                audit.pending(
                    "assessment.attempt.reviewed",
                    item,
                    actor=actor,
                    before=before,
                    reason="Free-text answer reviewed",
                )
            )
        before = audit.state_of(attempt)
        _settle(attempt, items, timezone.now())
        attempt.save()
        events.append(
            audit.pending(
                "assessment.attempt.reviewed",
                attempt,
                actor=actor,
                before=before,
                reason="Free-text answers reviewed",
            )
        )
        audit.record_many(events)
    return attempt


def attempt_digest(attempt: Attempt) -> str:
    """SHA-256 of what the trainee's signature vouches for: the bank version and its
    questions' hash, the seed, each drawn question with the order shown, the answer
    and its verdict, the score and the pass mark."""
    items = attempt.items.select_related("question").order_by("position")
    return jcs_sha256_hex(
        {
            "attempt": attempt.pk,
            "person": attempt.person_id,
            "requirement": attempt.assessment.requirement_id,
            "bank_version": attempt.bank_version_id,
            "bank_sha256": bank.content_hash(bank.questions_of(attempt.bank_version)),
            "seed": attempt.seed,
            "items": [
                [i.position, i.question.key, i.option_order, i.response, i.correct] for i in items
            ],
            "status": attempt.status,
            "score": str(attempt.score),
            "pass_mark": str(attempt.pass_mark),
            "started_at": attempt.started_at.isoformat(),
            "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        }
    )


SIGNABLE = (AttemptStatus.PASSED, AttemptStatus.FAILED, AttemptStatus.EXPIRED)


def attempt_sign(*, actor: Any, attempt: Attempt, credentials: Credentials):
    """The trainee signs the result (meaning "completed assessment"). The signed
    training record keeps the score and the attempt's digest; a passed attempt
    completes the open assignment (G7), a failed one is a record that does not count."""
    attempt = _own_attempt(actor, attempt)
    if attempt.record_id is not None:
        raise AlreadyDone(
            "You already signed this result; nothing new was written.", existing=attempt.record
        )
    if attempt.status not in SIGNABLE:
        raise ValidationError(
            f"This attempt is {attempt.get_status_display().lower()}: there is no result to sign."
        )
    digest = attempt_digest(attempt)
    requirement = attempt.assessment.requirement

    def check() -> None:
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.record_id is not None:
            raise AlreadyDone("You already signed this result.", existing=locked.record)
        if attempt_digest(locked) != digest:
            raise ValidationError("The attempt changed while signing; open it again.")

    def bind(record) -> None:
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        before = audit.state_of(locked)
        locked.record = record
        locked.save(update_fields=["record"])
        audit.record(
            "assessment.attempt.signed",
            locked,
            actor=actor,
            before=before,
            reason=f"Result signed (training record {record.pk})",
        )

    correct = attempt.items.filter(correct=True).count()
    total = attempt.items.count()
    return record_assessment_attempt(
        actor=actor,
        person=attempt.person,
        requirement=requirement,
        score=attempt.score,
        pass_mark=attempt.pass_mark,
        credentials=credentials,
        evidence_sha256=digest,
        notes=(
            f"Assessment attempt {attempt.number} on {attempt.bank_version}: {correct} of "
            f"{total} correct ({attempt.get_status_display().lower()})."
        ),
        check=check,
        bind=bind,
    )
