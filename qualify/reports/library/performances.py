"""Performances by procedure and period [performances]: every execution of a
document's procedure performed between two instants, with who, when performed (E5:
the attested time) and when recorded (T1), the gate's answer as known then, the
engine's answer now at the same instant (Q7, Q9) and the deviation if any;
exceptions (not qualified then, or a deviation) first."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce

from qualify.quality.models import Deviation, ExecutionDocument
from qualify.reports import scope
from qualify.reports.params import BadParameters
from qualify.reports.registry import CITE, ZONE, Column, Param, Report, ReportRequest, register
from qualify.training import engine

CHUNK = 500


@register
class Performances(Report):
    name = "performances"
    title = "Performances by procedure and period"
    question = (
        "Who performed work under this procedure in the period, was each qualified at the "
        "moment of the work, and which work opened a deviation? Exceptions first."
    )
    params = (
        Param("document", "Document", "document", required=True, help="Document number."),
        Param("from", "From", "instant", help="Start of the period; default 30 days ago."),
        Param("to", "To", "instant", help="End of the period (excluded); default now."),
    )
    columns = (
        Column("exception", "Exception", "bool", "Not qualified at the gate, or a deviation"),
        Column("person", "Person"),
        Column("employee_number", "Employee number"),
        Column("batch", "Batch"),
        Column("step", "Step"),
        Column("performed_at", "Performed", "time", "When the work was performed (attested)"),
        Column("recorded_at", "Recorded", "time", "When the system learnt of it"),
        Column("late_entry", "Late entry", "bool"),
        Column("version", "Version in force", doc="Document number and revision used"),
        Column("gate_qualified", "Gate answer", "bool", "Qualified, as known when performed"),
        Column("gate_reasons", "Gate reasons"),
        Column("qualified_known_now", "Qualified (known now)", "bool", "Same instant, known now"),
        Column("reasons_now", "Reasons (known now)"),
        Column("deviation", "Deviation", doc="Deviation numbers"),
        Column("execution", "Execution", "number", "Execution id"),
    )

    def prepare(self, request: ReportRequest) -> None:
        p = request.params
        p.setdefault("to", request.generated_at)
        p.setdefault("from", p["to"] - dt.timedelta(days=30))
        if p["from"] >= p["to"]:
            raise BadParameters({"to": "The end of the period must come after its start."})
        request.zone = p["document"].site.time_zone if p["document"].site_id else "UTC"

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        from qualify.reports.evidence import local

        p = request.params
        base = self._executions(request)
        return [
            ("Document", f"{p['document'].number} {p['document'].title}"),
            ("Period", f"{local(p['from'], request.zone)} to {local(p['to'], request.zone)}"),
            ("Executions", str(base.count())),
            ("Exceptions", str(base.filter(self._exception()).count())),
        ]

    def _executions(self, request: ReportRequest):
        p = request.params
        lines = ExecutionDocument.objects.filter(execution=OuterRef("pk"), document=p["document"])
        return (
            scope.executions(request.user)
            .annotate(performed=Coalesce("claimed_at", "performed_at"))
            .filter(Exists(lines), performed__gte=p["from"], performed__lt=p["to"])
        )

    @staticmethod
    def _exception() -> Q:
        return Q(qualified=False) | Q(Exists(Deviation.objects.filter(execution=OuterRef("pk"))))

    def estimate(self, request: ReportRequest) -> int:
        return self._executions(request).count()

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        base = self._executions(request).select_related("person", "site")
        order = ("performed", "pk")
        yield from self._rows(request, base.filter(self._exception()).order_by(*order), True)
        yield from self._rows(request, base.exclude(self._exception()).order_by(*order), False)

    def _rows(self, request, executions, exception: bool) -> Iterator[dict[str, Any]]:
        document = request.params["document"]
        chunk: list = []
        for execution in executions.iterator(chunk_size=CHUNK):
            chunk.append(execution)
            if len(chunk) >= CHUNK:
                yield from self._chunk(document, chunk, exception)
                chunk = []
        yield from self._chunk(document, chunk, exception)

    def _chunk(self, document, chunk, exception) -> Iterator[dict[str, Any]]:
        if not chunk:
            return
        ids = [e.pk for e in chunk]
        versions = {
            line.execution_id: line.version
            for line in ExecutionDocument.objects.filter(
                execution_id__in=ids, document=document
            ).select_related("version__document")
        }
        deviations: dict[int, list[str]] = {}
        for execution_id, number in Deviation.objects.filter(execution_id__in=ids).values_list(
            "execution_id", "number"
        ):
            deviations.setdefault(execution_id, []).append(number)
        for execution in chunk:
            performed = execution.claimed_at or execution.performed_at
            # Q7/Q9: the engine's answer at the instant performed, with all known now.
            now = engine.document_qualification(execution.person, document, at=performed)
            gate = [
                r
                for d in execution.gate_answer.get("documents", [])
                if d.get("document") in (document.number, None)
                for r in d.get("reasons", [])
            ]
            version = versions.get(execution.pk)
            yield {
                "exception": exception,
                "person": execution.person.full_name,
                "employee_number": execution.person.employee_number,
                "batch": execution.batch,
                "step": execution.step,
                "performed_at": performed,
                "recorded_at": execution.performed_at,
                "late_entry": execution.late_entry,
                "version": f"{version.document.number} rev {version.revision}" if version else "",
                "gate_qualified": execution.qualified,
                "gate_reasons": [str(r) for r in gate],
                "qualified_known_now": now.qualified,
                "reasons_now": [r.label for r in now.reasons],
                "deviation": deviations.get(execution.pk, []),
                "execution": execution.pk,
                ZONE: execution.site.time_zone,
                CITE: ("quality.execution", execution.pk),
            }
