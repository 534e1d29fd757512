"""Employee training file [employee-file]: everything for one person as of a date:
job history (T2), the requirements in force then (Q5) with the engine's answer (Q4,
Q9), the records with their versions and signature manifestations (S1), corrections
with both records and the reason (R1), open and overdue training then (G7, Q6), and
the qualifications lost and regained, each found by asking the engine at the
instants where an answer can change. "As of" shows the state then; what the system
learnt only later is marked "recorded later" (Q7)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from qualify.reports import scope
from qualify.reports.registry import (
    AS_KNOWN_AT,
    CITE,
    CORRECTED,
    ZONE,
    Column,
    Param,
    Report,
    ReportRequest,
    register,
)
from qualify.signatures.models import Signature
from qualify.training import engine
from qualify.training.engine.required import open_at
from qualify.training.models import RequalificationOrder, TrainingRecord

RECORD = TrainingRecord._meta.label_lower


def _version(version) -> str:
    return f"{version.document.number} rev {version.revision}" if version else ""


@register
class EmployeeFile(Report):
    name = "employee-file"
    title = "Employee training file"
    question = (
        "Everything about one person's training as of a date: job history, requirements "
        "then in force, records and signatures, corrections, open and overdue training, "
        "qualifications lost and regained."
    )
    params = (
        Param(
            "person",
            "Person",
            "person",
            help="Employee number or user id; an employee gets their own file.",
        ),
        Param("at", "As of", "instant", help="The date the file shows; default now."),
        AS_KNOWN_AT,
    )
    columns = (
        Column("fact", "Fact", doc="job, required, record, correction, open, lost, regained…"),
        Column("item", "Item", doc="Job function or requirement, in words"),
        Column("requirement", "Requirement", doc="Requirement code"),
        Column("record", "Training record", "number"),
        Column("version", "Version", doc="Document number and revision trained on"),
        Column("from_at", "From / completed", "time"),
        Column("to_at", "To / due", "time"),
        Column("recorded_at", "Recorded", "time"),
        Column("recorded_later", "Recorded later", "bool", "Recorded after the as-of date"),
        Column("qualified", "Qualified", "bool", "The engine's answer at the as-of date"),
        Column("detail", "Detail", doc="Reasons, why required, method and evidence, in words"),
        Column("signatures", "Signatures", doc="Manifestations: name, UTC time, meaning"),
        Column("corrects", "Corrects record", "number", "The record this one supersedes"),
        Column("correction_reason", "Reason for correction"),
    )

    def prepare(self, request: ReportRequest) -> None:
        from qualify.reports.params import BadParameters, find_person
        from qualify.reports.queries import rule_of

        person = request.params.get("person")
        if person is None and request.user is not None:
            # An employee asks for their own file without naming themselves.
            person = find_person(request.user, rule_of(self.name), request.user.get_username())
        if person is None:
            raise BadParameters({"person": "Give the person's employee number or user id."})
        request.params["person"] = person
        request.zone = person.site.time_zone or "UTC"

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        from qualify.reports.evidence import local

        person = request.params["person"]
        left = person.deactivated_at is not None and person.deactivated_at <= request.at
        return [
            ("Person", f"{person.full_name} ({person.employee_number})"),
            ("Site", f"{person.site.name}"),
            ("As of", local(request.at, request.zone)),
            (
                "As known at",
                local(request.as_known_at, request.zone)
                if request.as_known_at
                else "everything known now",
            ),
            ("Compliant then", "yes" if engine.is_compliant(person, at=request.at) else "no"),
            ("Employed then", "no (had left)" if left else "yes"),
        ]

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        yield from self._jobs(request)
        yield from self._required(request)
        yield from self._records(request)
        yield from self._open(request)
        yield from self._timeline(request)

    def _later(self, request, recorded_at) -> bool:
        return recorded_at is not None and recorded_at > request.at

    def _jobs(self, request) -> Iterator[dict[str, Any]]:
        person, at = request.params["person"], request.at
        rows = (
            scope.job_assignments(request.user)
            .filter(person=person, valid_from__lte=at)
            .order_by("valid_from", "pk")
        )
        for job in rows:
            ended = job.valid_to if job.valid_to is not None and job.valid_to <= at else None
            yield {
                "fact": "job",
                "item": f"{job.job_function.code} {job.job_function.name}",
                "from_at": job.valid_from,
                "to_at": ended,
                "recorded_at": job.recorded_at,
                "recorded_later": self._later(request, job.recorded_at)
                or (ended is not None and self._later(request, job.end_recorded_at)),
                "detail": job.reason,
                CITE: ("org.jobassignment", job.pk),
            }

    def _required(self, request) -> Iterator[dict[str, Any]]:
        person, at = request.params["person"], request.at
        why = engine.required_requirements(person, at=at, as_known_at=request.as_known_at)
        visible = {r.pk: r for r in scope.requirements(request.user).filter(pk__in=list(why))}
        ordered = sorted(visible.values(), key=lambda r: r.code)
        answers = engine.qualifications(
            [(person, r, at) for r in ordered], as_known_at=request.as_known_at
        )
        for requirement, answer in zip(ordered, answers, strict=True):
            because = sorted({b.kind for b in why[requirement.pk]})
            detail = "required by " + ", ".join(because)
            if answer.reasons:
                detail += "; " + "; ".join(r.label for r in answer.reasons)
            if answer.in_grace:  # Q10, in the engine's words
                ends = answer.grace_ends.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
                detail += f"; {answer.state_label} until {ends}"
            yield {
                "fact": "required",
                "item": requirement.title,
                "requirement": requirement.code,
                "record": answer.record.pk if answer.record else "",
                "qualified": answer.qualified,
                "detail": detail,
                CITE: ("training.requirement", requirement.pk),
            }

    def _records(self, request) -> Iterator[dict[str, Any]]:
        person, at = request.params["person"], request.at
        records = list(
            scope.records(request.user)
            .filter(person=person, completed_at__lte=at)
            .select_related("requirement", "document_version__document", "trainer", "supersedes")
            .order_by("completed_at", "pk")
        )
        corrected = set(
            TrainingRecord.objects.filter(supersedes__in=records).values_list(
                "supersedes_id", flat=True
            )
        )
        signatures: dict[str, list[Signature]] = {}
        for s in Signature.objects.filter(
            object_type=RECORD, object_id__in=[str(r.pk) for r in records]
        ).order_by("signed_at", "pk"):
            signatures.setdefault(s.object_id, []).append(s)
        for record in records:
            detail = f"{record.get_method_display()}; {record.get_evidence_display()}"
            if record.score is not None:
                detail += f"; score {record.score} (pass mark {record.pass_mark})"
            if record.trainer:
                detail += f"; trainer {record.trainer.full_name}"
            if record.late_entry:
                detail += "; late entry"
            yield {
                "fact": "record",
                "item": record.requirement.title,
                "requirement": record.requirement.code,
                "record": record.pk,
                "version": _version(record.document_version),
                "from_at": record.completed_at,
                "recorded_at": record.recorded_at,
                "recorded_later": self._later(request, record.recorded_at),
                "detail": detail,
                "signatures": [s.manifestation for s in signatures.get(str(record.pk), [])],
                "corrects": record.supersedes_id or "",
                "correction_reason": record.correction_reason,
                CITE: (RECORD, record.pk),
                CORRECTED: record.supersedes_id is not None or record.pk in corrected,
            }
            if record.supersedes_id:
                yield {
                    "fact": "correction",
                    "item": record.requirement.title,
                    "requirement": record.requirement.code,
                    "record": record.pk,
                    "from_at": record.recorded_at,
                    "recorded_at": record.recorded_at,
                    "recorded_later": self._later(request, record.recorded_at),
                    "detail": f"record {record.supersedes_id} corrected by record {record.pk}",
                    "corrects": record.supersedes_id,
                    "correction_reason": record.correction_reason,
                    CITE: (RECORD, record.pk),
                    CORRECTED: True,
                }

    def _open(self, request) -> Iterator[dict[str, Any]]:
        person, at = request.params["person"], request.at
        rows = (
            scope.assignments(request.user)
            .filter(open_at(at), person=person)
            .select_related("requirement")
            .order_by("due_at", "pk")
        )
        for a in rows:
            overdue = a.due_at < at
            yield {
                "fact": "overdue" if overdue else "open",
                "item": a.requirement.title,
                "requirement": a.requirement.code,
                "from_at": a.created_at,
                "to_at": a.due_at,
                "recorded_at": a.created_at,
                "detail": a.get_reason_display() + (f": {a.reason_text}" if a.reason_text else ""),
                CITE: ("training.assignment", a.pk),
            }

    def _timeline(self, request) -> Iterator[dict[str, Any]]:
        """Lost and regained: the engine asked at every instant an answer can change
        (a completion, an expiry, a requalification order, a new effective version),
        up to the as-of date, as known at the same time as the rest of the file."""
        person, at = request.params["person"], request.at
        requirements = scope.requirements(request.user).filter(
            Q(records__person=person) | Q(pk__in=self._required_ids(request))
        )
        requirements = list(requirements.distinct().order_by("code"))
        instants: dict[int, set[dt.datetime]] = {r.pk: set() for r in requirements}
        by_pk = {r.pk: r for r in requirements}
        for rid, completed in TrainingRecord.objects.filter(
            person=person, requirement__in=requirements, completed_at__lte=at
        ).values_list("requirement_id", "completed_at"):
            instants[rid].add(completed)
            months = by_pk[rid].recurrence_months
            if months:
                expiry = engine.add_months(completed, months)
                if expiry <= at:
                    instants[rid].add(expiry)
        for rid, issued in RequalificationOrder.objects.filter(
            person=person, requirement__in=requirements, issued_at__lte=at
        ).values_list("requirement_id", "issued_at"):
            instants[rid].add(issued)
        for r in requirements:
            if r.document_id:
                for start in r.document.versions.filter(
                    effective_from__isnull=False, effective_from__lte=at
                ).values_list("effective_from", flat=True):
                    instants[r.pk].add(start)
        questions = [(person, by_pk[rid], t) for rid in instants for t in sorted(instants[rid])]
        answers = engine.qualifications(questions, as_known_at=request.as_known_at)
        state: dict[int, bool] = {}
        ever: set[int] = set()
        for (_, requirement, t), answer in zip(questions, answers, strict=True):
            before = state.get(requirement.pk, False)
            state[requirement.pk] = answer.qualified
            if answer.qualified == before:
                continue
            if answer.qualified:
                fact = "regained" if requirement.pk in ever else "qualified"
                ever.add(requirement.pk)
            else:
                fact = "lost"
            yield {
                "fact": fact,
                "item": requirement.title,
                "requirement": requirement.code,
                "record": answer.record.pk if answer.record else "",
                "from_at": t,
                "qualified": answer.qualified,
                "detail": "; ".join(r.label for r in answer.reasons),
                ZONE: person.site.time_zone,
                CITE: (RECORD, answer.record.pk) if answer.record else None,
            }

    def _required_ids(self, request) -> list[int]:
        person = request.params["person"]
        return list(
            engine.required_requirements(person, at=request.at, as_known_at=request.as_known_at)
        )
