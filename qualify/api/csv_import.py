"""`qualify import people FILE.csv`: the HR file through the same validation and
services as the API, all or nothing, with errors per row (see docs/api.md)."""

import csv
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from qualify.api.errors import flatten
from qualify.api.hr import PersonInput, person_upsert
from qualify.audit import services as audit

COLUMNS = [
    "employee_number",
    "full_name",
    "email",
    "site",
    "department",
    "manager",
    "active",
    "employed_from",
    "left_at",
    "job_function",
    "valid_from",
    "valid_to",
]
REQUIRED = {"employee_number", "full_name", "site"}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


class Rollback(Exception):
    pass


def _people_from_rows(rows: list[dict[str, str]], result: ImportResult) -> list[tuple[int, dict]]:
    """Group the rows by employee number (one row per job assignment); the person's
    own fields come from their first row."""
    people: dict[str, tuple[int, dict]] = {}
    for line, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        number = row.get("employee_number", "")
        if number not in people:
            data: dict[str, Any] = {k: row.get(k, "") for k in COLUMNS[:6]}
            active = row.get("active", "").lower()
            data["active"] = active not in {"false", "no", "0", "n"}
            for name in ("employed_from", "left_at"):
                if row.get(name):
                    data[name] = row[name]
            data["job_assignments"] = []
            people[number] = (line, data)
        if row.get("job_function"):
            item = {"job_function": row["job_function"], "valid_from": row.get("valid_from", "")}
            if row.get("valid_to"):
                item["valid_to"] = row["valid_to"]
            people[number][1]["job_assignments"].append(item)
    return list(people.values())


def import_people(
    *, actor: Any, path: str, dry_run: bool = False, reason: str = ""
) -> ImportResult:
    result = ImportResult()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = REQUIRED - set(reader.fieldnames or [])
        if missing:
            result.errors.append(f"line 1: missing columns {', '.join(sorted(missing))}")
            return result
        unknown = set(reader.fieldnames or []) - set(COLUMNS)
        if unknown:
            result.errors.append(f"line 1: unknown columns {', '.join(sorted(unknown))}")
            return result
        rows = list(reader)
    result.rows = len(rows)
    reason = reason or f"HR import of {path}"
    try:
        with transaction.atomic():
            for line, data in _people_from_rows(rows, result):
                serializer = PersonInput(data=data, context={"request_user": actor})
                if not serializer.is_valid():
                    for name, messages in flatten(serializer.errors).items():
                        result.errors.append(f"line {line}: {name}: {'; '.join(messages)}")
                    continue
                try:
                    _, created = person_upsert(
                        actor=actor, data=serializer.validated_data, reason=reason
                    )
                except (ValidationError, PermissionDenied) as exc:
                    messages = getattr(exc, "messages", None) or [str(exc)]
                    result.errors.append(f"line {line}: {'; '.join(messages)}")
                    continue
                except exceptions.APIException as exc:
                    result.errors.append(f"line {line}: {exc.detail}")
                    continue
                result.created += created
                result.updated += not created
            if result.errors or dry_run:
                raise Rollback
            audit.record(
                "api.people.imported",
                object_type="api.import",
                object_id=timezone.now().strftime("%Y%m%dT%H%M%S%fZ"),
                actor=actor,
                detail={"file": str(path), "rows": result.rows, "created": result.created},
            )
    except Rollback:
        pass
    return result
