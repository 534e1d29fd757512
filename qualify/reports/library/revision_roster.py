"""Revision roster [revision-roster]: for one document revision, who had to train
(the assignments it made, G3, and everyone required through the matrix while it was in
force, Q5), by when, who completed when (before or after the
effective date), and who performed the procedure on that revision before completing
(E1, E5)."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce

from qualify.org.models import Person
from qualify.quality.models import ExecutionDocument
from qualify.reports import scope
from qualify.reports.params import BadParameters
from qualify.reports.registry import CITE, ZONE, Column, Param, Report, ReportRequest, register
from qualify.training.models import (
    Assignment,
    CurriculumItem,
    MatrixEntry,
    Requirement,
    TrainingRecord,
)


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
        Column(
            "required_by",
            "Required by",
            doc="revision (G3): assigned for it; matrix: required through the matrix while it "
            "was in force (Q5)",
        ),
        Column("assigned_at", "Assigned", "time"),
        Column("due_at", "Due", "time"),
        Column(
            "status", "Status", doc="open, completed, superseded or cancelled (G7); not assigned"
        ),
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

    def _required(self, request: ReportRequest) -> set[tuple[int, int]]:
        """(person, requirement) pairs required through the matrix (Q5: a job function
        held while its matrix entry, directly or through a curriculum, was effective)
        at some moment the revision was in force: its first revision is trained through
        the matrix (G1, G2), not by G3."""
        version = request.context["version"]
        start, end = version.effective_from, version.effective_to
        if start is None:
            return set()
        linked = set(
            scope.requirements(request.user)
            .filter(document=version.document)
            .values_list("pk", flat=True)
        )
        if not linked:
            return set()
        in_force = Q(valid_to__isnull=True) | Q(valid_to__gt=start)
        if end is not None:
            in_force &= Q(valid_from__lt=end)
        entries = MatrixEntry.objects.filter(in_force).filter(
            Q(requirement_id__in=linked) | Q(curriculum__items__requirement_id__in=linked)
        )
        pairs: set[tuple[int, int]] = set()
        for entry in entries.distinct():
            if entry.requirement_id is not None:
                wanted = {entry.requirement_id}
            else:
                wanted = linked & set(
                    CurriculumItem.objects.filter(curriculum_id=entry.curriculum_id).values_list(
                        "requirement_id", flat=True
                    )
                )
            # The job held while both the entry and the revision were in force.
            since = max(start, entry.valid_from)
            until = (
                min(d for d in (end, entry.valid_to) if d is not None)
                if (end or entry.valid_to)
                else None
            )
            held = scope.job_assignments(request.user).filter(
                Q(valid_to__isnull=True) | Q(valid_to__gt=since),
                job_function_id=entry.job_function_id,
            )
            if until is not None:
                held = held.filter(valid_from__lt=until)
            for person_id in held.values_list("person_id", flat=True).distinct():
                pairs.update((person_id, r) for r in wanted)
        return pairs

    def _roster(self, request: ReportRequest) -> dict[tuple[int, int], dict[str, Any]]:
        """Everyone who had to train on the revision: (person, requirement) -> why and
        the assignment that carried it (None: required, never assigned)."""
        if "roster" in request.context:
            return request.context["roster"]
        version = request.context["version"]
        roster: dict[tuple[int, int], dict[str, Any]] = {}
        for pk, person_id, requirement_id in (
            self._assignments(request)
            .order_by("pk")
            .values_list("pk", "person_id", "requirement_id")
        ):
            roster[(person_id, requirement_id)] = {"why": "revision (G3)", "assignment": pk}
        matrix_only = self._required(request) - set(roster)
        if matrix_only:
            # The matrix's own assignment (G1, G2) for the pair, made while the revision
            # (or its baseline, Q2) was the one to train on: the latest such.
            same = Q(document_version__isnull=True) | Q(document_version=version)
            if version.baseline_id is not None:
                same |= Q(document_version__baseline_id=version.baseline_id)
            found = scope.assignments(request.user).filter(
                same,
                person_id__in={p for p, _ in matrix_only},
                requirement_id__in={r for _, r in matrix_only},
            )
            if version.effective_to is not None:
                found = found.filter(created_at__lt=version.effective_to)
            latest = dict(
                ((p, r), pk)
                for pk, p, r in found.order_by("created_at", "pk").values_list(
                    "pk", "person_id", "requirement_id"
                )
            )
            for pair in matrix_only:
                roster[pair] = {"why": "matrix", "assignment": latest.get(pair)}
        request.context["roster"] = roster
        return roster

    def estimate(self, request: ReportRequest) -> int:
        return len(self._roster(request))

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        from qualify.reports.evidence import local

        version = request.context["version"]
        rows = list(self.rows(request))
        return [
            ("Revision", f"{version.document.number} rev {version.revision} ({version.status})"),
            ("Effective from", local(version.effective_from, request.zone) or "not effective"),
            ("Had to train", str(len(rows))),
            ("Completed", str(sum(1 for r in rows if r["record"] != ""))),
            ("Open", str(sum(1 for r in rows if r["status"] == "open"))),
        ]

    def _record(self, version, person_id: int, requirement_id: int):
        """The first record of the person on the revision's baseline (Q2), when no
        completed assignment names one; a corrected record counts by its correction."""
        records = TrainingRecord.objects.filter(
            person_id=person_id, requirement_id=requirement_id, superseded_by__isnull=True
        )
        if version.baseline_id is not None:
            records = records.filter(document_version__baseline_id=version.baseline_id)
        else:
            records = records.filter(document_version=version)
        return records.order_by("completed_at", "pk").first()

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        version = request.context["version"]
        effective = version.effective_from
        now = request.generated_at
        roster = self._roster(request)
        people = {
            p.pk: p
            for p in Person.objects.select_related("site").filter(pk__in={p for p, _ in roster})
        }
        requirements = dict(
            Requirement.objects.filter(pk__in={r for _, r in roster}).values_list("pk", "code")
        )
        assignments = {
            a.pk: a
            for a in Assignment.objects.select_related("record").filter(
                pk__in=[e["assignment"] for e in roster.values() if e["assignment"]]
            )
        }
        order = sorted(roster, key=lambda k: (people[k[0]].full_name, k[0], requirements[k[1]]))
        for person_id, requirement_id in order:
            entry = roster[(person_id, requirement_id)]
            person = people[person_id]
            a = assignments.get(entry["assignment"])
            record = a.record if a is not None and a.status == "completed" else None
            if record is None and (a is None or a.status != "open"):
                record = self._record(version, person_id, requirement_id)
            completed = record.completed_at if record else None
            if completed is None:
                when = "not completed"
            elif effective is not None and completed < effective:
                when = "before effective"
            else:
                when = "after effective"
            status = a.status if a is not None else ("completed" if record else "not assigned")
            due = a.due_at if a is not None else effective
            # Work on this revision performed before the person completed (or to now).
            until = completed or now
            work = ExecutionDocument.objects.filter(
                version=version, execution__person_id=person_id
            ).annotate(performed=Coalesce("execution__claimed_at", "execution__performed_at"))
            work = work.filter(performed__lt=until)
            if effective is not None:
                work = work.filter(performed__gte=effective)
            found = work.aggregate(first=Min("performed"), n=Count("pk"))
            yield {
                "person": person.full_name,
                "employee_number": person.employee_number,
                "requirement": requirements[requirement_id],
                "required_by": entry["why"],
                "assigned_at": a.created_at if a is not None else None,
                "due_at": due,
                "status": status,
                "completed_at": completed,
                "record": record.pk if record else "",
                "completed_when": when,
                "overdue": a is not None and a.status == "open" and a.due_at < now,
                "performed_before_completing": found["n"],
                "first_performed_at": found["first"],
                "assignment": a.pk if a is not None else "",
                ZONE: person.site.time_zone if person.site_id else request.zone,
                CITE: ("training.assignment", a.pk)
                if a is not None
                else (("training.trainingrecord", record.pk) if record else None),
            }
