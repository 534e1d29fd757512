"""Training matrix as of a date [matrix]: which job function requires which
requirement or curriculum, with which window, at an instant (T2, G1, G2), and every
change made to the matrix in a period: added, changed (an entry added while another
for the same job function and target was ended in the period) and ended, each with its
reason and the QA signature that approved it (S1: signer's name, time, meaning).

Read through the training query functions (`matrix_entries`, client restriction U2)
and the signatures queries (`signature_checks`: does the signature still hold)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from qualify.audit.models import AuditEvent
from qualify.reports.params import BadParameters
from qualify.reports.registry import (
    AS_KNOWN_AT,
    CITE,
    ZONE,
    Column,
    Param,
    Report,
    ReportRequest,
    register,
)
from qualify.signatures.queries import signature_checks
from qualify.training import queries as training_queries
from qualify.training.models import MatrixEntry

# The meanings of the QA signature on adding and on ending an entry
# (qualify.training.services.matrix).
ADDED_MEANING = "approved"
ENDED_MEANING = "closed"


def entries(user: Any) -> QuerySet[MatrixEntry]:
    """The matrix entries `user` may read (U2); the command line without --user reads all."""
    if user is None:
        return MatrixEntry.objects.select_related("job_function", "requirement", "curriculum")
    return training_queries.matrix_entries(user)


def in_force(rows: QuerySet[MatrixEntry], at: dt.datetime, known: dt.datetime | None):
    """Entries effective at `at` (T2), as the system knew it at `known` (Q7): an entry
    recorded later is left out, and an end recorded later does not count."""
    if known is not None:
        rows = rows.filter(recorded_at__lte=known)
        not_ended = Q(valid_to__isnull=True) | Q(valid_to__gt=at) | Q(end_recorded_at__gt=known)
    else:
        not_ended = Q(valid_to__isnull=True) | Q(valid_to__gt=at)
    return rows.filter(not_ended, valid_from__lte=at)


def _target(entry: MatrixEntry) -> tuple[str, str]:
    if entry.requirement_id is not None:
        return "requirement", entry.requirement.code
    return "curriculum", entry.curriculum.code


@register
class Matrix(Report):
    name = "matrix"
    title = "Training matrix"
    question = (
        "Which job function required which training, with which window, on this date; "
        "and what changed in the matrix in the period, why, and who approved it?"
    )
    params = (
        Param("at", "As of", "instant", help="The date the matrix shows; default now."),
        AS_KNOWN_AT,
        Param("from", "Changes from", "instant", help="Start of the period; default 90 days ago."),
        Param("to", "Changes to", "instant", help="End of the period (excluded); default now."),
        Param("job_function", "Job function", "text", help="A job function code, to show one."),
    )
    columns = (
        Column("fact", "Fact", doc="in force: the entry held at the date; change: a change"),
        Column("change", "Change", doc="added, changed or ended (for a change)"),
        Column("job_function", "Job function", doc="Code"),
        Column("job_function_name", "Job function name"),
        Column("target_kind", "Target", doc="requirement or curriculum"),
        Column("target", "Requirement or curriculum", doc="Code"),
        Column("window_days", "Window (days)", "number"),
        Column("valid_from", "Valid from", "time"),
        Column("valid_to", "Valid to", "time", "Empty: open-ended (or its end not yet known)"),
        Column("changed_at", "Changed", "time", "When the change was recorded"),
        Column("reason", "Reason"),
        Column("signed_by", "QA signature", doc="Printed name (user id) of the QA approver"),
        Column("signed_at", "Signed", "time"),
        Column("meaning", "Meaning", doc="The signature's meaning in words"),
        Column("signature", "Signature status", doc="valid, broken (S1), or none"),
        Column("entry", "Matrix entry", "number"),
    )

    def prepare(self, request: ReportRequest) -> None:
        p = request.params
        p.setdefault("to", request.generated_at)
        p.setdefault("from", p["to"] - dt.timedelta(days=90))
        if p["from"] >= p["to"]:
            raise BadParameters({"to": "The end of the period must come after its start."})
        code = p.get("job_function")
        if code:
            rows = entries(request.user).filter(job_function__code__iexact=code)
            if not rows.exists():
                raise BadParameters({"job_function": f"No matrix entry names job function {code}."})

    def _entries(self, request: ReportRequest) -> QuerySet[MatrixEntry]:
        rows = entries(request.user).select_related("job_function__site")
        code = request.params.get("job_function")
        if code:
            rows = rows.filter(job_function__code__iexact=code)
        return rows

    def changes(self, request: ReportRequest) -> list[tuple[str, dt.datetime, MatrixEntry]]:
        """(change, recorded at, entry) in the period, in the order recorded; only what
        was known by as-known-at counts."""
        p = request.params
        start, end = p["from"], p["to"]
        known = request.as_known_at
        if known is not None:
            end = min(end, known)
        rows = self._entries(request)
        added = list(rows.filter(recorded_at__gte=start, recorded_at__lt=end))
        ended = list(rows.filter(end_recorded_at__gte=start, end_recorded_at__lt=end))
        # An entry added once another for the same job function and target had been
        # ended in the period replaces it: a change.
        ends: dict[tuple, list[dt.datetime]] = {}
        for e in ended:
            ends.setdefault((e.job_function_id, _target(e)), []).append(e.end_recorded_at)

        def kind(e: MatrixEntry) -> str:
            times = ends.get((e.job_function_id, _target(e)), [])
            return "changed" if any(t <= e.recorded_at for t in times) else "added"

        found = [(kind(e), e.recorded_at, e) for e in added]
        found += [("ended", e.end_recorded_at, e) for e in ended]
        found.sort(key=lambda c: (c[1], c[2].pk, c[0] == "ended"))
        return found

    def estimate(self, request: ReportRequest) -> int:
        return self._entries(request).count()

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        from qualify.reports.evidence import local

        held = in_force(self._entries(request), request.at, request.as_known_at).count()
        kinds = [c for c, _, _ in self.changes(request)]
        return [
            ("As of", local(request.at, request.zone)),
            ("Entries in force", str(held)),
            (
                "Changes in the period",
                f"{kinds.count('added')} added, {kinds.count('changed')} changed, "
                f"{kinds.count('ended')} ended",
            ),
        ]

    def _row(self, fact: str, change: str, entry: MatrixEntry, request: ReportRequest) -> dict:
        kind, code = _target(entry)
        known = request.as_known_at
        end_known = entry.valid_to is not None and (
            known is None or (entry.end_recorded_at is not None and entry.end_recorded_at <= known)
        )
        jf = entry.job_function
        return {
            "fact": fact,
            "change": change,
            "job_function": jf.code,
            "job_function_name": jf.name,
            "target_kind": kind,
            "target": code,
            "window_days": entry.window_days,
            "valid_from": entry.valid_from,
            "valid_to": entry.valid_to if end_known else None,
            ZONE: jf.site.time_zone if jf.site_id else request.zone,
            CITE: ("training.matrixentry", entry.pk),
        }

    def _signature(self, entry: MatrixEntry, meaning: str) -> dict[str, Any]:
        checks = [c for c in signature_checks(entry) if c.signature.meaning == meaning]
        if not checks:
            return {
                "signed_by": "",
                "signed_at": None,
                "meaning": "",
                "signature": "none",
            }
        check = checks[-1]
        s = check.signature
        return {
            "signed_by": f"{s.printed_name} ({s.username})",
            "signed_at": s.signed_at,
            "meaning": s.meaning_label,
            "signature": check.status,
        }

    def _end_reason(self, entry: MatrixEntry) -> str:
        event = (
            AuditEvent.objects.filter(action="training.matrix.entry_ended", object_id=str(entry.pk))
            .order_by("-seq")
            .first()
        )
        return event.reason if event is not None else ""

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        held = in_force(self._entries(request), request.at, request.as_known_at).order_by(
            "job_function__code", "requirement__code", "curriculum__code", "pk"
        )
        for entry in held.iterator(chunk_size=500):
            row = self._row("in force", "", entry, request)
            row.update(
                changed_at=entry.recorded_at,
                reason=entry.reason,
                entry=entry.pk,
                **self._signature(entry, ADDED_MEANING),
            )
            yield row
        for change, at, entry in self.changes(request):
            row = self._row("change", change, entry, request)
            ended = change == "ended"
            row.update(
                changed_at=at,
                reason=self._end_reason(entry) if ended else entry.reason,
                entry=entry.pk,
                **self._signature(entry, ENDED_MEANING if ended else ADDED_MEANING),
            )
            if ended:
                row["valid_to"] = entry.valid_to
            yield row
