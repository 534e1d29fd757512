"""Revision roster [revision-roster]: for one document revision, who had to train
(the assignments it made, G3), by when, who completed when (before or after the
effective date), and who performed the procedure on that revision before completing
(E1, E5)."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Min
from django.db.models.functions import Coalesce

from qualify.quality.models import ExecutionDocument
from qualify.reports import scope
from qualify.reports.params import BadParameters
from qualify.reports.registry import CITE, ZONE, Column, Param, Report, ReportRequest, register


@register
class RevisionRoster(Report):
    name = "revision-roster"
    title = "Revision roster"
    question = (
        "For this revision: who had to train, by when, who completed when (before or after "
        "the effective date), and who performed the procedure before completing?"
    )
    params = (
        Param("document", "Document", "document", required=True, help="Document number."),
        Param("revision", "Revision", "text", required=True, help="The revision, e.g. 3."),
    )
    columns = (
        Column("person", "Person"),
        Column("employee_number", "Employee number"),
        Column("requirement", "Requirement"),
        Column("assigned_at", "Assigned", "time"),
        Column("due_at", "Due", "time"),
        Column("status", "Status", doc="open, completed, superseded or cancelled (G7)"),
        Column("completed_at", "Completed", "time", "When the completing record was completed"),
        Column("record", "Training record", "number"),
        Column("completed_when", "Completed when", doc="before effective, after effective, not"),
        Column("overdue", "Overdue", "bool", "Open past its due date now"),
        Column("performed_before_completing", "Performed before completing", "number"),
        Column("first_performed_at", "First performed before completing", "time"),
        Column("assignment", "Assignment", "number"),
    )

    def prepare(self, request: ReportRequest) -> None:
        document = request.params["document"]
        version = (
            scope.versions(request.user)
            .filter(document=document, revision__iexact=request.params["revision"])
            .first()
        )
        if version is None:
            raise BadParameters({"revision": f"{document.number} has no such revision."})
        request.context["version"] = version
        request.zone = document.site.time_zone if document.site_id else "UTC"

    def _assignments(self, request: ReportRequest):
        return scope.assignments(request.user).filter(document_version=request.context["version"])

    def estimate(self, request: ReportRequest) -> int:
        return self._assignments(request).count()

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        from qualify.reports.evidence import local

        version = request.context["version"]
        rows = self._assignments(request)
        return [
            ("Revision", f"{version.document.number} rev {version.revision} ({version.status})"),
            ("Effective from", local(version.effective_from, request.zone) or "not effective"),
            ("Had to train", str(rows.count())),
            ("Completed", str(rows.filter(status="completed").count())),
            ("Open", str(rows.filter(status="open").count())),
        ]

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        version = request.context["version"]
        effective = version.effective_from
        now = request.generated_at
        assignments = (
            self._assignments(request)
            .select_related("person__site", "requirement", "record")
            .order_by("person__full_name", "pk")
        )
        for a in assignments.iterator(chunk_size=500):
            record = a.record if a.status == "completed" else None
            completed = record.completed_at if record else None
            if completed is None:
                when = "not completed"
            elif effective is not None and completed < effective:
                when = "before effective"
            else:
                when = "after effective"
            # Work on this revision performed before the person completed (or to now).
            until = completed or now
            work = ExecutionDocument.objects.filter(
                version=version, execution__person_id=a.person_id
            ).annotate(performed=Coalesce("execution__claimed_at", "execution__performed_at"))
            work = work.filter(performed__lt=until)
            if effective is not None:
                work = work.filter(performed__gte=effective)
            found = work.aggregate(first=Min("performed"), n=Min("pk"))
            count = work.count() if found["first"] is not None else 0
            yield {
                "person": a.person.full_name,
                "employee_number": a.person.employee_number,
                "requirement": a.requirement.code,
                "assigned_at": a.created_at,
                "due_at": a.due_at,
                "status": a.status,
                "completed_at": completed,
                "record": record.pk if record else "",
                "completed_when": when,
                "overdue": a.status == "open" and a.due_at < now,
                "performed_before_completing": count,
                "first_performed_at": found["first"],
                "assignment": a.pk,
                ZONE: a.person.site.time_zone,
                CITE: ("training.assignment", a.pk),
            }
