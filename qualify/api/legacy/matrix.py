"""The training matrix from a legacy export: which job function requires which
requirement (or curriculum) from when (T2), with its training window.

Columns: job_function, requirement or curriculum (codes), valid_from (an ISO time
with its offset, or a local time with time_zone), time_zone,
window_days (default 30), reason (default: "Migrated from <source>").

Each entry is a change of the matrix like one made on the pages: a QA approver other
than the importer approves it with their own signature (S1, S2), checked before the
transaction once per entry, and G1 assigns its training in the same transaction. An
entry the matrix already holds from the same instant is skipped, so re-running the
file adds nothing twice; an overlapping one is refused with its reason.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from qualify.api.csv_import import Refused, _messages
from qualify.api.legacy.common import Outcome, Progress, store_report
from qualify.api.legacy.reading import attested_time, read_table
from qualify.edge import whole_number
from qualify.guards import require_perm
from qualify.org.models import JobFunction
from qualify.org.scoping import restrict
from qualify.signatures.services import Credentials, SignatureRefused, authenticate_signer
from qualify.training.models import Curriculum, LegacyKind, MatrixEntry, Requirement
from qualify.training.services.matrix import _add

COLUMNS = [
    "job_function",
    "requirement",
    "curriculum",
    "valid_from",
    "time_zone",
    "window_days",
    "reason",
]
REQUIRED = {"job_function", "valid_from"}


class _Rollback(Exception):
    pass


def _check(actor, table, default_reason):
    functions = {j.code.lower(): j for j in restrict(JobFunction.objects.all(), actor)}
    requirements = {r.code.lower(): r for r in restrict(Requirement.objects.all(), actor)}
    curricula = {c.code.lower(): c for c in Curriculum.objects.all()}
    existing = set(
        MatrixEntry.objects.values_list(
            "job_function_id", "requirement_id", "curriculum_id", "valid_from"
        )
    )
    seen: dict[tuple, int] = {}
    rows, refusals, skipped = [], [], 0
    for line, row in table.rows:
        try:
            if "\x00" in row:
                raise ValueError("more values than there are columns.")
            code = row.get("job_function", "")
            job_function = functions.get(code.lower())
            if job_function is None:
                raise ValueError(f"job_function: no job function {code!r}.")
            if not job_function.active:
                raise ValueError(f"job_function: {job_function} is no longer in use.")
            r_code, c_code = row.get("requirement", ""), row.get("curriculum", "")
            if bool(r_code) == bool(c_code):
                raise ValueError("give either a requirement or a curriculum.")
            requirement = requirements.get(r_code.lower()) if r_code else None
            curriculum = curricula.get(c_code.lower()) if c_code else None
            if r_code and requirement is None:
                raise ValueError(f"requirement: no training requirement {r_code!r}.")
            if c_code and curriculum is None:
                raise ValueError(f"curriculum: no curriculum {c_code!r}.")
            try:
                valid_from = attested_time(row.get("valid_from", ""), row.get("time_zone", ""))
            except ValueError as exc:
                raise ValueError(f"valid_from: {exc}") from None
            window = row.get("window_days", "") or "30"
            if (whole_number(window) or 0) < 1:
                raise ValueError("window_days: give a whole number of days, 1 or more.")
            key = (
                job_function.pk,
                requirement.pk if requirement else None,
                curriculum.pk if curriculum else None,
            )
            if key in seen:
                raise ValueError(f"the same entry is on line {seen[key]}.")
            seen[key] = line
        except ValueError as exc:
            refusals.append((line, str(exc)))
            continue
        if (*key, valid_from) in existing:
            skipped += 1
            continue
        rows.append(
            (
                line,
                dict(
                    job_function=job_function,
                    requirement=requirement,
                    curriculum=curriculum,
                    valid_from=valid_from,
                    window_days=int(window),
                    reason=row.get("reason", "") or default_reason,
                ),
            )
        )
    return rows, refusals, skipped


def import_matrix(
    *,
    actor: Any,
    path: str,
    source_system: str = "",
    dry_run: bool = False,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    encoding: str = "",
    qa_username: str = "",
    qa_password: str | None = None,
) -> Outcome:
    say = progress or (lambda message, **counts: None)
    outcome = Outcome(
        kind=LegacyKind.MATRIX,
        source_system=source_system or "legacy matrix",
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
    )
    try:
        require_perm(
            actor,
            "training.change_matrix",
            message="Only a training coordinator changes the matrix.",
        )
        table = read_table(path, columns=COLUMNS, required=REQUIRED, encoding=encoding)
    except (Refused, PermissionDenied) as exc:
        outcome.problem = str(exc)
        return outcome
    outcome.file_name, outcome.sha256, outcome.encoding = table.name, table.sha256, table.encoding
    outcome.rows_read = len(table.rows)
    rows, refusals, outcome.skipped = _check(
        actor, table, f"Migrated from {outcome.source_system} ({table.name})"
    )
    outcome.refusals.extend(refusals)
    outcome.created = len(rows)
    if dry_run:
        return outcome
    proofs: list = []
    if outcome.writes and rows:
        qa = get_user_model().objects.filter(username=qa_username, is_active=True).first()
        if qa is None or qa.pk == actor.pk:
            outcome.problem = (
                "Name the QA approver (other than you) who approves the matrix entries (--qa)."
            )
            return outcome
        if qa_password is None:
            import getpass

            qa_password = os.environ.get("QUALIFY_QA_PASSWORD") or getpass.getpass(
                f"Password of {qa.username} to approve {len(rows)} matrix entries: "
            )
        try:
            # S1: checked before the transaction, one proof for each entry signed.
            for _ in rows:
                proofs.append(
                    authenticate_signer(
                        actor=qa,
                        credentials=Credentials(username=qa.username, password=qa_password),
                        meaning="approved",
                    )
                )
        except (SignatureRefused, PermissionDenied) as exc:
            outcome.problem = " ".join(getattr(exc, "messages", [str(exc)]))
            return outcome
    created = 0
    try:
        with transaction.atomic():
            outcome.applied = outcome.writes
            if outcome.applied:
                for (line, fields), proof in zip(rows, proofs, strict=True):
                    try:
                        with transaction.atomic():
                            _add(actor=actor, proof=proof, **fields)
                        created += 1
                    except ValidationError as exc:
                        outcome.refuse(line, _messages(exc))
                if all_or_nothing and outcome.refusals:
                    raise _Rollback
                outcome.created = created
                say(f"added {created} matrix entries")
            store_report(outcome, actor=actor)
    except _Rollback:
        outcome.applied = False
        with transaction.atomic():
            store_report(outcome, actor=actor)
    return outcome
