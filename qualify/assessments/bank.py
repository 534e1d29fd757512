"""The question bank's interchange format (YAML or JSON) and its tie to the version's
signatures (L2).

The format, one mapping per question under `questions:`::

    questions:
      - key: Q1                # unique in the bank; defaults to Q<n>
        topic: Gowning
        kind: single           # single, multiple, true_false, numeric, short_text,
                               # ordering, wrong_step, free_text
        prompt: Which glove layer is changed after a breach?
        options: [Inner, Outer, Both]
        answer: Both           # the correct option's text (multiple: a list of texts)
        explanation: Optional, shown after submission.

    true_false: `answer: true`; numeric: `answer: 7.5` and `tolerance: 0.5`;
    short_text: `answer: [accepted, answers]` (case and spaces ignored);
    ordering: `options` in the correct order (shown shuffled); wrong_step: `excerpt`,
    the `options` (steps) and `answer` (the wrong step's text); free_text: `answer`
    is optional guidance for the trainer who reviews it.

A bank version's `content_text` is a summary ending with the SHA-256 of the questions'
canonical JSON (RFC 8785, qualify.audit.canonical). Saving the questions writes it;
submitting the version for review is refused when it does not match, so the author's,
reviewer's and approver's signatures on the version vouch for exactly these questions.
"""

import json
import math
import re
from collections import Counter
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from qualify.assessments.models import BankQuestion, QuestionKind
from qualify.audit.canonical import jcs_sha256_hex
from qualify.documents.models import DocumentType, DocumentVersion

MAX_QUESTIONS = 2000
MAX_BYTES = 2 * 1024 * 1024
KEYS = "abcdefghijklmnopqrstuvwxyz"
FIELDS = {"key", "topic", "kind", "prompt", "options", "answer", "tolerance", "excerpt"}
FIELDS |= {"explanation"}
HASH_LINE = re.compile(r"^Questions SHA-256: ([0-9a-f]{64})$", re.MULTILINE)


def _problem(n: int, message: str) -> str:
    return f"Question {n}: {message}"


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _options(n: int, raw: Any, errors: list[str], minimum: int = 2) -> list[dict]:
    if not isinstance(raw, list) or not all(isinstance(o, str | int | float) for o in raw):
        errors.append(_problem(n, "options must be a list of texts."))
        return []
    texts = [str(o).strip() for o in raw]
    if len(texts) < minimum or len(texts) > len(KEYS):
        errors.append(_problem(n, f"give from {minimum} to {len(KEYS)} options."))
        return []
    if any(not t for t in texts) or len(set(texts)) != len(texts):
        errors.append(_problem(n, "options must be different and not empty."))
        return []
    return [{"key": KEYS[i], "text": t} for i, t in enumerate(texts)]


def _key_of(n: int, options: list[dict], text: Any, errors: list[str]) -> str | None:
    for option in options:
        if option["text"] == str(text).strip():
            return option["key"]
    errors.append(_problem(n, f"the answer {text!r} is not one of the options."))
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def normalise(data: Any) -> list[dict]:
    """Check a parsed document and return the questions as stored (options keyed,
    answers by key). Raises ValidationError listing every problem found."""
    if isinstance(data, dict):
        data = data.get("questions")
    if not isinstance(data, list) or not data:
        raise ValidationError({"questions": "Give a list of questions under 'questions:'."})
    if len(data) > MAX_QUESTIONS:
        raise ValidationError({"questions": f"A bank holds at most {MAX_QUESTIONS} questions."})
    errors: list[str] = []
    out: list[dict] = []
    for n, raw in enumerate(data, 1):
        if not isinstance(raw, dict):
            errors.append(_problem(n, "each question is a mapping of fields."))
            continue
        unknown = set(raw) - FIELDS
        if unknown:
            errors.append(_problem(n, f"unknown fields {', '.join(sorted(map(str, unknown)))}."))
        kind = _str(raw.get("kind"))
        if kind not in QuestionKind.values:
            errors.append(
                _problem(n, f"kind must be one of {', '.join(QuestionKind.values)}, not {kind!r}.")
            )
            continue
        key = _str(str(raw.get("key") or f"Q{n}"))[:40]
        topic, prompt = _str(raw.get("topic")), _str(raw.get("prompt"))
        if not topic or len(topic) > 100:
            errors.append(_problem(n, "a topic of at most 100 characters is required."))
        if not prompt:
            errors.append(_problem(n, "the question text (prompt) is required."))
        options: list[dict] = []
        answer: dict[str, Any] = {}
        value = raw.get("answer")
        if kind in (QuestionKind.SINGLE, QuestionKind.WRONG_STEP):
            options = _options(n, raw.get("options"), errors)
            if options:
                answer = {"correct": _key_of(n, options, value, errors)}
        elif kind == QuestionKind.MULTIPLE:
            options = _options(n, raw.get("options"), errors)
            texts = value if isinstance(value, list) else [value]
            if options:
                keys = [_key_of(n, options, t, errors) for t in texts]
                if not keys or len(set(keys)) != len(keys):
                    errors.append(_problem(n, "list each correct option once."))
                answer = {"correct": sorted(k for k in keys if k)}
        elif kind == QuestionKind.TRUE_FALSE:
            if not isinstance(value, bool):
                errors.append(_problem(n, "the answer is true or false."))
            answer = {"correct": bool(value)}
        elif kind == QuestionKind.NUMERIC:
            number, tolerance = _number(value), _number(raw.get("tolerance", 0))
            if number is None:
                errors.append(_problem(n, "the answer is a number."))
            if tolerance is None or tolerance < 0:
                errors.append(_problem(n, "the tolerance is a number, 0 or more."))
            answer = {"value": number, "tolerance": tolerance}
        elif kind == QuestionKind.SHORT_TEXT:
            accepted = value if isinstance(value, list) else [value]
            accepted = [str(a).strip() for a in accepted if str(a or "").strip()]
            if not accepted:
                errors.append(_problem(n, "list the accepted answers."))
            answer = {"accepted": accepted}
        elif kind == QuestionKind.ORDERING:
            options = _options(n, raw.get("options"), errors, minimum=3)
            answer = {"order": [o["key"] for o in options]}
        elif kind == QuestionKind.FREE_TEXT:
            answer = {"guidance": _str(value) if value is not None else ""}
        if kind == QuestionKind.WRONG_STEP and not _str(raw.get("excerpt")):
            errors.append(_problem(n, "give the procedure excerpt the steps come from."))
        out.append(
            {
                "key": key,
                "topic": topic,
                "kind": kind,
                "prompt": prompt,
                "excerpt": _str(raw.get("excerpt")),
                "options": options,
                "answer": answer,
                "explanation": _str(raw.get("explanation")),
            }
        )
    duplicates = [k for k, count in Counter(q["key"] for q in out).items() if count > 1]
    if duplicates:
        errors.append(f"Question keys must be unique: {', '.join(duplicates)}.")
    if errors:
        raise ValidationError({"questions": errors})
    return out


def parse(text: str | bytes, fmt: str = "yaml") -> list[dict]:
    """Parse YAML or JSON text into checked questions (YAML's safe loader only)."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise ValidationError({"questions": "The file is larger than 2 MB."})
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({"questions": "The file is not UTF-8 text."}) from None
    if len(text) > MAX_BYTES:
        raise ValidationError({"questions": "The text is larger than 2 MB."})
    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        where = getattr(error, "problem_mark", None)
        at = f" (line {where.line + 1})" if where is not None else ""
        raise ValidationError(
            {"questions": f"This is not readable {fmt.upper()}{at}: {error}"[:500]}
        ) from None
    return normalise(data)


def to_interchange(question: BankQuestion | dict) -> dict:
    """One question in the interchange format (answers by text)."""
    q = question if isinstance(question, dict) else _as_dict(question)
    texts = {o["key"]: o["text"] for o in q["options"]}
    out: dict[str, Any] = {"key": q["key"], "topic": q["topic"], "kind": q["kind"]}
    out["prompt"] = q["prompt"]
    if q["excerpt"]:
        out["excerpt"] = q["excerpt"]
    if q["options"]:
        out["options"] = [o["text"] for o in q["options"]]
    answer, kind = q["answer"], q["kind"]
    if kind in (QuestionKind.SINGLE, QuestionKind.WRONG_STEP):
        out["answer"] = texts[answer["correct"]]
    elif kind == QuestionKind.MULTIPLE:
        out["answer"] = [texts[k] for k in answer["correct"]]
    elif kind == QuestionKind.TRUE_FALSE:
        out["answer"] = answer["correct"]
    elif kind == QuestionKind.NUMERIC:
        out["answer"], out["tolerance"] = answer["value"], answer["tolerance"]
    elif kind == QuestionKind.SHORT_TEXT:
        out["answer"] = answer["accepted"]
    elif kind == QuestionKind.FREE_TEXT and answer.get("guidance"):
        out["answer"] = answer["guidance"]
    if q["explanation"]:
        out["explanation"] = q["explanation"]
    return out


def _as_dict(q: BankQuestion) -> dict:
    return {
        "key": q.key,
        "topic": q.topic,
        "kind": q.kind,
        "prompt": q.prompt,
        "excerpt": q.excerpt,
        "options": q.options,
        "answer": q.answer,
        "explanation": q.explanation,
    }


def questions_of(version: DocumentVersion) -> list[BankQuestion]:
    return list(BankQuestion.objects.filter(version=version).order_by("position"))


def export(version: DocumentVersion, fmt: str = "yaml") -> str:
    data = {"questions": [to_interchange(q) for q in questions_of(version)]}
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def content_hash(questions: list[BankQuestion] | list[dict]) -> str:
    return jcs_sha256_hex([q if isinstance(q, dict) else _as_dict(q) for q in questions])


def summary(questions: list[BankQuestion] | list[dict]) -> str:
    """The version's content text: counts per topic and the questions' hash."""
    rows = [q if isinstance(q, dict) else _as_dict(q) for q in questions]
    topics = Counter(q["topic"] for q in rows)
    lines = [f"Question bank: {len(rows)} questions in {len(topics)} topic(s)."]
    lines += [f"- {topic}: {count}" for topic, count in sorted(topics.items())]
    lines.append(f"Questions SHA-256: {content_hash(rows)}")
    return "\n".join(lines)


def problem(version: DocumentVersion) -> str | None:
    """Why this bank version's content does not stand for its questions, or None."""
    questions = questions_of(version)
    if not questions:
        return "The question bank has no questions: add them in the bank editor."
    found = HASH_LINE.search(version.content_text or "")
    if found is None or found.group(1) != content_hash(questions):
        return (
            "The version's content does not match its questions (changed outside the bank "
            "editor): save the questions again in the bank editor."
        )
    return None


def on_version_submitted(*, actor: Any, version: DocumentVersion, **_: Any) -> None:
    """L2: a bank version goes to review only when its signed content is its questions."""
    if version.document.doc_type != DocumentType.QUESTION_BANK:
        return
    why = problem(version)
    if why:
        raise ValidationError(why)
