"""Server-side scoring (L1): what an answer posted from a page or the API means, and
whether it is correct. Answers arrive as the positions the person saw (the options in
the attempt's shuffled order) and are stored as option keys.
"""

import math
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qualify.assessments.models import QuestionKind

CENT = Decimal("0.01")


class BadAnswer(ValueError):
    """The posted value cannot be an answer to this question (tampered or malformed)."""


def _position(value: Any, order: list[str]) -> str:
    try:
        index = int(str(value).strip())
    except (TypeError, ValueError):
        raise BadAnswer(f"{value!r} is not one of the choices shown.") from None
    if not 1 <= index <= len(order):
        raise BadAnswer(f"{value!r} is not one of the choices shown.")
    return order[index - 1]


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise BadAnswer("Write the answer as text.")
    if len(value) > limit:
        raise BadAnswer(f"An answer has at most {limit} characters.")
    return value.strip()


def normalise_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def parse(kind: str, order: list[str], raw: Any) -> Any:
    """The stored response for a posted value; None when left unanswered. Raises
    BadAnswer for a value the page could not have sent."""
    if raw is None or raw == "" or raw == []:
        return None
    if kind == QuestionKind.SINGLE or kind == QuestionKind.WRONG_STEP:
        if isinstance(raw, list):
            if len(raw) != 1:
                raise BadAnswer("Choose one answer.")
            raw = raw[0]
        return _position(raw, order)
    if kind == QuestionKind.MULTIPLE:
        values = raw if isinstance(raw, list) else [raw]
        keys = [_position(v, order) for v in values]
        if len(set(keys)) != len(keys):
            raise BadAnswer("The same choice was sent twice.")
        return sorted(keys)
    if kind == QuestionKind.TRUE_FALSE:
        text = str(raw[0] if isinstance(raw, list) and len(raw) == 1 else raw).strip().lower()
        if text not in ("true", "false"):
            raise BadAnswer("Answer true or false.")
        return text == "true"
    if kind == QuestionKind.NUMERIC:
        text = _text(str(raw[0] if isinstance(raw, list) and len(raw) == 1 else raw), 40)
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise BadAnswer(f"{text!r} is not a number.") from None
        if not math.isfinite(number):
            raise BadAnswer(f"{text!r} is not a number.")
        return number
    if kind == QuestionKind.SHORT_TEXT:
        return _text(raw[0] if isinstance(raw, list) and len(raw) == 1 else raw, 300) or None
    if kind == QuestionKind.FREE_TEXT:
        return _text(raw[0] if isinstance(raw, list) and len(raw) == 1 else raw, 5000) or None
    if kind == QuestionKind.ORDERING:
        # A rank (1..n) for each shown position, in shown order.
        ranks = raw if isinstance(raw, list) else [raw]
        if len(ranks) != len(order):
            raise BadAnswer("Give every step its place.")
        try:
            places = [int(str(r).strip()) for r in ranks]
        except ValueError:
            raise BadAnswer("Give every step its place as a number.") from None
        if sorted(places) != list(range(1, len(order) + 1)):
            raise BadAnswer(f"Number the steps 1 to {len(order)}, each number once.")
        ranked = sorted(zip(places, order, strict=True))
        return [key for _, key in ranked]
    raise BadAnswer(f"Unknown question kind {kind!r}.")


def is_correct(kind: str, answer: dict, response: Any) -> bool | None:
    """True or False; None when a trainer must judge (free text)."""
    if kind == QuestionKind.FREE_TEXT:
        return None
    if response is None:
        return False
    if kind in (QuestionKind.SINGLE, QuestionKind.WRONG_STEP):
        return response == answer["correct"]
    if kind == QuestionKind.MULTIPLE:
        return sorted(response) == sorted(answer["correct"])
    if kind == QuestionKind.TRUE_FALSE:
        return response is answer["correct"]
    if kind == QuestionKind.NUMERIC:
        return abs(float(response) - float(answer["value"])) <= float(answer.get("tolerance", 0))
    if kind == QuestionKind.SHORT_TEXT:
        accepted = {normalise_text(a) for a in answer["accepted"]}
        return normalise_text(response) in accepted
    if kind == QuestionKind.ORDERING:
        return list(response) == list(answer["order"])
    return False


def percent(correct: int, total: int) -> Decimal:
    if total == 0:
        return Decimal("0.00")
    return (Decimal(100) * correct / total).quantize(CENT, rounding=ROUND_HALF_UP)
