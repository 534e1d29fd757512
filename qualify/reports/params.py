"""Parameters of a report, parsed alike for the pages, the API and the command.

Raw values are strings; a person is named by employee number or user id, a document
by its number, an instant in ISO 8601. An instant without a UTC offset is read in the
zone given (the pages: the user's site zone, T3); with no zone it is refused, so an
API or command-line instant is never ambiguous (T1)."""

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import Q

from qualify.accounts import policy
from qualify.reports import scope
from qualify.reports.registry import Report


class BadParameters(ValueError):
    """Messages for people, by parameter name ("" for the report as a whole)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))


def parse_instant(text: str, *, zone: str | None) -> dt.datetime:
    text = text.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a date and time such as 2026-03-01T14:00Z.") from None
    if value.tzinfo is None:
        if zone is None:
            raise ValueError(
                f"“{text}” has no UTC offset; add one (Z or +01:00) so the moment is unambiguous."
            )
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return value.astimezone(dt.UTC)


def find_person(user: Any, rule: policy.Rule, key: str):
    rows = scope.people(user, rule)
    return (
        rows.filter(employee_number__iexact=key).first()
        or rows.filter(Q(user__username__iexact=key)).first()
    )


def parse(
    report: Report,
    raw: dict[str, Any],
    *,
    user: Any,
    rule: policy.Rule,
    zone: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """Parsed values by name; BadParameters naming every bad one."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for param in report.params:
        text = str(raw.get(param.name) or "").strip()
        if "\x00" in text or len(text) > 200:
            errors[param.name] = "This value is not accepted."
            continue
        if not text:
            if param.required:
                errors[param.name] = f"Give the {param.label.lower()}."
            continue
        if param.kind == "person":
            person = find_person(user, rule, text)
            if person is None:
                errors[param.name] = "No person you may see has this employee number or user id."
            values[param.name] = person
        elif param.kind == "document":
            document = scope.documents(user).filter(number__iexact=text).first()
            if document is None:
                errors[param.name] = "No document you may see has this number."
            values[param.name] = document
        elif param.kind == "instant":
            try:
                values[param.name] = parse_instant(text, zone=zone)
            except ValueError as exc:
                errors[param.name] = str(exc)
                continue
            if values[param.name] > now + dt.timedelta(minutes=1):
                errors[param.name] = "This moment is in the future; give one up to now."
        else:
            values[param.name] = text
    if errors:
        raise BadParameters(errors)
    return values
