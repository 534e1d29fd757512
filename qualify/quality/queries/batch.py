"""The batch record QA checks before release: every execution of a batch with the
qualification answer at the instant the work was performed (E5), as the gate knew it
then and as known now (Q7), "qualified (in grace)" where it was (Q10), and both
times: performed (attested) and recorded."""

import datetime as dt
from typing import Any

from django.db.models.functions import Coalesce

from qualify.quality.models import Execution
from qualify.quality.queries.records import executions as visible_executions
from qualify.training import engine


def performed_instant(execution: Execution):
    """E5: when the work was performed: the attested time, else the server's arrival."""
    return execution.claimed_at or execution.performed_at


def _instant(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def snapshot_grace(gate_answer: dict) -> tuple[bool, dt.datetime | None]:
    """Q10 (P70): whether the gate answered "qualified (in grace)" when it was asked,
    and until when, read from its stored snapshot. A snapshot stored before the gate
    said it at the top says it per requirement in each document's answer."""
    if not gate_answer.get("qualified"):
        return False, None
    if "in_grace" in gate_answer:
        return bool(gate_answer["in_grace"]), _instant(gate_answer.get("grace_ends"))
    ends = [
        requirement.get("grace_ends")
        for document in gate_answer.get("documents", [])
        for requirement in ((document.get("answer") or {}).get("requirements") or [])
        if isinstance(requirement, dict) and requirement.get("in_grace")
    ]
    return bool(ends), min((_instant(e) for e in ends if e), default=None)


def batch_record(batch: str, *, recheck: bool = True, user: Any = None) -> list[dict]:
    """With `user`, only the executions that user may see (U2); without, all of them
    (the CLI and internal callers)."""
    from qualify.quality.services.common import is_qualified, reasons_of

    rows = Execution.objects.all() if user is None else visible_executions(user)
    executions = (
        rows.filter(batch=batch)
        .select_related("person", "recorded_by", "site")
        .prefetch_related("lines__document", "lines__version", "deviations")
        .order_by(Coalesce("claimed_at", "performed_at"), "pk")
    )
    executions = list(executions)
    rows = []
    questions = []  # (person, document, performed) of every line, for one engine call
    for execution in executions:
        lines = list(execution.lines.all())
        performed = performed_instant(execution)
        grace_then, grace_ends_then = snapshot_grace(execution.gate_answer)
        row = {
            "execution": execution.pk,
            "person": execution.person.full_name,
            "employee_number": execution.person.employee_number,
            "step": execution.step,
            "performed_at": performed,
            "recorded_at": execution.performed_at,  # the server's time of entry (T1)
            "claimed_at": execution.claimed_at,
            "late_entry": execution.late_entry,
            "zone": execution.site.time_zone,
            "documents": [f"{line.document.number} rev {line.version.revision}" for line in lines],
            "qualified_as_known_then": execution.qualified,
            # Q10 (P70): "qualified (in grace)" as the gate stored it then.
            "in_grace_then": grace_then,
            "grace_ends_then": grace_ends_then,
            "reasons_then": [
                f"{d['document']}: {r}"
                for d in execution.gate_answer.get("documents", [])
                for r in d.get("reasons", [])
            ],
            "deviations": [d.number for d in execution.deviations.all()],
        }
        questions.append([(execution.person, line.document, performed) for line in lines])
        rows.append(row)
    if recheck:
        # At the instant performed, with everything known now: a late-entered record
        # or a revocation shows. Every execution's lines in one engine call per
        # MAX_PAIRS questions, not one per execution (issue 18).
        flat = [q for qs in questions for q in qs]
        answers = []
        for start in range(0, len(flat), engine.MAX_PAIRS):
            answers.extend(engine.document_qualifications(flat[start : start + engine.MAX_PAIRS]))
        position = 0
        for row, asked in zip(rows, questions, strict=True):
            mine = answers[position : position + len(asked)]
            position += len(asked)
            row["qualified_known_now"] = all(is_qualified(a) for a in mine)
            # Q10 (P70): the engine's own in-grace, on the documents of the line.
            graced = [a for a in mine if getattr(a, "in_grace", False)]
            row["in_grace_now"] = row["qualified_known_now"] and bool(graced)
            row["grace_ends_now"] = (
                min((a.grace_ends for a in graced if a.grace_ends), default=None)
                if row["in_grace_now"]
                else None
            )
            row["reasons_now"] = [r for a in mine for r in reasons_of(a)]
    return rows
