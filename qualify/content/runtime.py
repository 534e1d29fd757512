"""The SCORM run-time data a package commits, checked on the server, and the
completion rules (issue 15, points 2 and 4).

scorm-again (the API adapter in the launching page) already answers a SCO's calls with
the standard's error codes: a call before LMSInitialize/Initialize, a read-only element
set, a value of the wrong type. The server does not trust the browser for what it
keeps, so every commit (sent "flattened": ``{"cmi.core.lesson_status": "passed"}``) is
checked again here against the data model's vocabularies and formats; a commit with a
non-conforming value is refused whole (kept as refused evidence) and the adapter is
told with the standard's general commit error (1.2: 101, 2004: 391).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from qualify.content.manifest import CMI5, SCORM12, Item

ERROR_12 = 101  # SCORM 1.2: general exception
ERROR_2004 = 391  # SCORM 2004: general commit failure

LESSON_STATUS = {"passed", "completed", "failed", "incomplete", "browsed", "not attempted", ""}
EXIT_12 = {"", "time-out", "suspend", "logout"}
COMPLETION = {"completed", "incomplete", "not attempted", "unknown", ""}
SUCCESS = {"passed", "failed", "unknown", ""}
EXIT_2004 = {"", "time-out", "suspend", "logout", "normal"}

_TIMESPAN_12 = re.compile(r"^(\d{2,4}):(\d{2}):(\d{2})(\.\d{1,2})?$")
_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,2})?)S)?)?$"
)

# What a resume loads back into the adapter (never session time or exit).
RESTORE_12 = (
    "cmi.suspend_data",
    "cmi.core.lesson_location",
    "cmi.core.lesson_status",
    "cmi.core.score.raw",
    "cmi.core.score.min",
    "cmi.core.score.max",
    "cmi.core.total_time",
)
RESTORE_2004 = (
    "cmi.suspend_data",
    "cmi.location",
    "cmi.completion_status",
    "cmi.success_status",
    "cmi.score.scaled",
    "cmi.score.raw",
    "cmi.score.min",
    "cmi.score.max",
    "cmi.progress_measure",
    "cmi.total_time",
)


def flatten(value: object, prefix: str = "cmi") -> dict:
    """scorm-again's JSON commit (``{"cmi": {"core": {"lesson_status": …}}}``) as the
    flattened data model (``{"cmi.core.lesson_status": …}``); lists and the
    "childArray" of collections become numbered elements."""
    out: dict = {}
    if isinstance(value, dict):
        if "childArray" in value and isinstance(value["childArray"], list):
            value = dict(enumerate(value["childArray"]))
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}"))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out.update(flatten(inner, f"{prefix}.{index}"))
    else:
        out[prefix] = value
    return out


def _decimal(value: object) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def seconds_12(value: str) -> float | None:
    match = _TIMESPAN_12.match(value or "")
    if not match:
        return None
    h, m, s, frac = match.groups()
    if int(m) > 59 or int(s) > 59:
        return None
    return int(h) * 3600 + int(m) * 60 + int(s) + (float(frac) if frac else 0.0)


def seconds_2004(value: str) -> float | None:
    match = _DURATION.match(value or "")
    if not match or value in ("P", "PT") or value.endswith("T"):
        return None
    y, mo, d, h, mi, s = match.groups()
    days = int(y or 0) * 365 + int(mo or 0) * 30 + int(d or 0)
    return days * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def check_commit(kind: str, data: dict) -> list[str]:
    """Problems with a flattened commit's values (empty: conforming)."""
    problems: list[str] = []

    def text(key: str, limit: int) -> None:
        value = data.get(key)
        if value is not None and len(str(value)) > limit:
            problems.append(f"{key} is longer than {limit} characters.")

    def vocab(key: str, allowed: set[str]) -> None:
        value = data.get(key)
        if value is not None and value not in allowed:
            problems.append(f"{key} = {value!r} is not one of the allowed values.")

    def number(key: str, low: Decimal | None = None, high: Decimal | None = None) -> None:
        value = data.get(key)
        if value in (None, ""):
            return
        n = _decimal(value)
        if n is None:
            problems.append(f"{key} = {value!r} is not a number.")
        elif (low is not None and n < low) or (high is not None and n > high):
            problems.append(f"{key} = {value!r} is out of range.")

    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str | int | float | bool | type(None)):
            problems.append(f"{key!r} does not hold a simple value.")
    if problems:
        return problems
    if kind == SCORM12:
        vocab("cmi.core.lesson_status", LESSON_STATUS)
        vocab("cmi.core.exit", EXIT_12)
        for part in ("raw", "min", "max"):
            number(f"cmi.core.score.{part}", Decimal(0), Decimal(100))
        for key in ("cmi.core.session_time", "cmi.core.total_time"):
            if data.get(key) not in (None, "") and seconds_12(str(data[key])) is None:
                problems.append(f"{key} = {data[key]!r} is not a SCORM 1.2 time span.")
        text("cmi.core.lesson_location", 255)
        text("cmi.suspend_data", 4096)
    else:
        vocab("cmi.completion_status", COMPLETION)
        vocab("cmi.success_status", SUCCESS)
        vocab("cmi.exit", EXIT_2004)
        number("cmi.score.scaled", Decimal(-1), Decimal(1))
        for part in ("raw", "min", "max"):
            number(f"cmi.score.{part}")
        number("cmi.progress_measure", Decimal(0), Decimal(1))
        for key in ("cmi.session_time", "cmi.total_time"):
            if data.get(key) not in (None, "") and seconds_2004(str(data[key])) is None:
                problems.append(f"{key} = {data[key]!r} is not an ISO 8601 duration.")
        text("cmi.location", 1000)
        text("cmi.suspend_data", 64000)
    return problems


def session_seconds(kind: str, data: dict) -> float:
    if kind == SCORM12:
        return seconds_12(str(data.get("cmi.core.session_time") or "")) or 0.0
    return seconds_2004(str(data.get("cmi.session_time") or "")) or 0.0


def statuses(kind: str, item: Item, data: dict) -> tuple[str, str, Decimal | None]:
    """(completion, success, score as a fraction 0..1) of one SCO's data, applying the
    package's mastery score (1.2) or completion threshold and passing score (2004)."""
    if kind == SCORM12:
        status = data.get("cmi.core.lesson_status") or "not attempted"
        raw = (
            _decimal(data.get("cmi.core.score.raw"))
            if data.get("cmi.core.score.raw") not in (None, "")
            else None
        )
        high = _decimal(data.get("cmi.core.score.max")) or Decimal(100)
        low = _decimal(data.get("cmi.core.score.min")) or Decimal(0)
        scaled = None
        if raw is not None and high > low:
            scaled = (raw - low) / (high - low)
        success = "passed" if status == "passed" else "failed" if status == "failed" else "unknown"
        if item.mastery_score is not None and raw is not None:
            # SCORM 1.2 RTE 3.4.4: with a mastery score the LMS decides pass or fail.
            success = "passed" if raw >= Decimal(item.mastery_score) else "failed"
        completion = "completed" if status in {"passed", "completed", "failed"} else "incomplete"
        return completion, success, scaled
    completion = data.get("cmi.completion_status") or "unknown"
    progress = (
        _decimal(data.get("cmi.progress_measure"))
        if data.get("cmi.progress_measure") not in (None, "")
        else None
    )
    if item.completion_threshold is not None and progress is not None:
        completion = "completed" if progress >= Decimal(item.completion_threshold) else "incomplete"
    success = data.get("cmi.success_status") or "unknown"
    scaled = (
        _decimal(data.get("cmi.score.scaled"))
        if data.get("cmi.score.scaled") not in (None, "")
        else None
    )
    if item.mastery_score is not None and scaled is not None:
        success = "passed" if scaled >= Decimal(item.mastery_score) else "failed"
    return completion, success, scaled


def satisfied(kind: str, item: Item, completion: str, success: str) -> bool:
    """Is this SCO done for the course? 1.2: completed or passed, never failed (and
    passed when a mastery score applies). 2004: completed, and passed when the SCO has
    a passing score, never failed."""
    if kind == CMI5:
        raise ValueError("cmi5 AUs are judged by their moveOn (qualify.content.cmi5)")
    if item.scorm_type == "asset":
        return True
    if success == "failed":
        return False
    if item.mastery_score is not None:
        return success == "passed"
    if kind == SCORM12:
        return completion == "completed" or success == "passed"
    return completion == "completed"


def restore(
    kind: str, data: dict, *, learner_id: str, learner_name: str, item: Item, terminated: bool
) -> dict:
    """The flattened CMI a launch loads into the adapter: the learner, the package's
    mastery data and, when the last session was suspended (or was lost before it
    terminated: a closed tab, a crash), the saved location and suspend data."""
    exit_ = data.get("cmi.core.exit") if kind == SCORM12 else data.get("cmi.exit")
    suspended = bool(data) and (exit_ == "suspend" or not terminated)
    keys = RESTORE_12 if kind == SCORM12 else RESTORE_2004
    out = {k: data[k] for k in keys if data.get(k) not in (None, "")}
    if kind == SCORM12:
        out["cmi.core.student_id"] = learner_id
        out["cmi.core.student_name"] = learner_name
        out["cmi.core.entry"] = "resume" if suspended else ("" if data else "ab-initio")
        if item.launch_data:
            out["cmi.launch_data"] = item.launch_data
        if item.mastery_score is not None:
            out["cmi.student_data.mastery_score"] = item.mastery_score
    else:
        out["cmi.learner_id"] = learner_id
        out["cmi.learner_name"] = learner_name
        out["cmi.entry"] = "resume" if suspended else ("" if data else "ab-initio")
        if item.launch_data:
            out["cmi.launch_data"] = item.launch_data
        if item.mastery_score is not None:
            out["cmi.scaled_passing_score"] = item.mastery_score
        if item.completion_threshold is not None:
            out["cmi.completion_threshold"] = item.completion_threshold
    if not suspended:
        # A new session that was not suspended starts from its saved results only.
        out.pop("cmi.suspend_data", None)
        out.pop("cmi.core.lesson_location", None)
        out.pop("cmi.location", None)
    return out
