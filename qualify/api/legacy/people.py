"""People and their job history from a legacy HR export: the columns and checks of
the HR import (qualify.api.csv_import, docs/api.md), read from CSV or XLSX, with the
legacy rules: every valid person is written and each refused row reported (or
nothing, with --all-or-nothing), and a migration report is stored (R2).

A person is refused as a whole when any of their rows is refused, and so is anyone
whose manager is refused (the reference could not be kept). Re-running the same file
creates nobody twice: people already known are updated through the organisation
services, which change nothing when the file says what the database says.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from rest_framework import exceptions

from qualify.api.csv_import import COLUMNS, REQUIRED, Checker, Refused, _messages, _update_known
from qualify.api.hr import people_create_bulk
from qualify.api.legacy.common import Outcome, Progress, store_report
from qualify.api.legacy.reading import read_table
from qualify.guards import require_perm
from qualify.org.models import Person
from qualify.training.models import LegacyKind


class _Rollback(Exception):
    pass


def import_people_history(
    *,
    actor: Any,
    path: str,
    source_system: str = "",
    dry_run: bool = False,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    encoding: str = "",
) -> Outcome:
    say = progress or (lambda message, **counts: None)
    outcome = Outcome(
        kind=LegacyKind.PEOPLE,
        source_system=source_system or "HR",
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
    )
    try:
        require_perm(
            actor,
            "org.manage_people",
            message="Only a training coordinator can manage people and job assignments.",
        )
        require_perm(
            actor, "training.import_legacy", message="Only a training coordinator can migrate."
        )
        table = read_table(path, columns=COLUMNS, required=REQUIRED, encoding=encoding)
    except (Refused, PermissionDenied) as exc:
        outcome.problem = str(exc)
        return outcome
    outcome.file_name, outcome.sha256, outcome.encoding = table.name, table.sha256, table.encoding
    outcome.rows_read = len(table.rows)
    rows = []
    for line, row in table.rows:
        if "\x00" in row:
            row = {k: v for k, v in row.items() if k != "\x00"} | {"\x00": "\x00"}
        rows.append((line, row))
    checker = Checker(actor)
    people = checker.check(rows)
    say(f"checked {len(rows)} rows, {len(people)} people")
    number_of = {line: row.get("employee_number", "").lower() for line, row in rows}
    refused_numbers = set()
    for line, message in checker.errors:
        outcome.refuse(line, message)
        refused_numbers.add(number_of.get(line, ""))
    # Anyone managed by a refused person is refused too, until nothing changes.
    changed = True
    while changed:
        changed = False
        for p in people:
            key = p.number.lower()
            if key not in refused_numbers and p.manager.lower() in refused_numbers:
                refused_numbers.add(key)
                outcome.refuse(p.line, f"manager: {p.manager} is refused on another line.")
                changed = True
    valid = [p for p in people if p.number.lower() not in refused_numbers]
    new = [p for p in valid if p.number.lower() not in checker.known]
    known = [p for p in valid if p.number.lower() in checker.known]
    outcome.created = len(new)
    outcome.skipped = len(known)
    if dry_run:
        return outcome
    reason = f"Migrated from {outcome.source_system} ({table.name})"
    try:
        with transaction.atomic():
            outcome.applied = outcome.writes
            if outcome.applied:
                managers = {
                    p.employee_number.lower(): p
                    for p in Person.objects.filter(
                        employee_number__in={p.manager for p in valid if p.manager}
                    )
                }
                people_create_bulk(actor=actor, new=new, reason=reason, managers=managers)
                for row in known:
                    try:
                        with transaction.atomic():
                            _update_known(actor, row, reason, managers)
                    except (ValidationError, PermissionDenied, exceptions.APIException) as exc:
                        outcome.refuse(row.line, _messages(exc))
                        outcome.skipped -= 1
                if all_or_nothing and outcome.refusals:
                    raise _Rollback
                say(f"wrote {len(new)} new people, updated {len(known)}")
            store_report(outcome, actor=actor)
    except _Rollback:
        outcome.applied = False
        with transaction.atomic():
            store_report(outcome, actor=actor)
    return outcome
