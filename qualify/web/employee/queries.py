"""Reads for the employee's own pages; every one is limited to the signed-in
person and to the clients the user may see (U2)."""

import datetime as dt
from dataclasses import dataclass, field

from django.http import Http404
from django.utils import timezone

from qualify.documents import timeline
from qualify.signatures.queries import signature_checks
from qualify.training import queries as training_queries
from qualify.training.engine import RequirementAnswer
from qualify.training.engine.facts import Facts
from qualify.training.engine.required import required_requirements
from qualify.training.engine.rules import Evaluator
from qualify.training.models import Assignment, AssignmentStatus, Requirement
from qualify.web.employee.common import person_of

DUE_SOON = dt.timedelta(days=14)


@dataclass
class MyTraining:
    person: object
    now: dt.datetime
    overdue: list = field(default_factory=list)
    due_soon: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.due_soon) + len(self.upcoming)


def my_training(user, *, now: dt.datetime | None = None) -> MyTraining:
    """G7: the person's open assignments, due soonest first, in three groups."""
    now = now or timezone.now()
    person = person_of(user)
    result = MyTraining(person=person, now=now)
    if person is None:
        return result
    rows = training_queries.assignments(
        person=person, status=AssignmentStatus.OPEN, user=user
    ).select_related("document_version__document", "requirement__document")
    for assignment in rows:
        if assignment.due_at < now:
            result.overdue.append(assignment)
        elif assignment.due_at < now + DUE_SOON:
            result.due_soon.append(assignment)
        else:
            result.upcoming.append(assignment)
    return result


def my_assignment(user, pk: int) -> Assignment:
    """One of the signed-in person's assignments; anyone else's answers 404."""
    person = person_of(user)
    if person is None:
        raise Http404("You have no person record.")
    # Issue 18: the person (known, with their site) is not joined again: PostgreSQL
    # planned the nine-way join longer than it ran it.
    queryset = (
        training_queries.visible_assignments(user)
        .select_related(None)
        .select_related("requirement__document", "document_version__document", "record")
        .filter(person=person)
    )
    assignment = queryset.filter(pk=pk).first()
    if assignment is None:
        raise Http404("No such assignment.")
    assignment.person = person
    if assignment.record is not None:
        assignment.record_signatures = signature_checks(assignment.record)
        assignment.version_to_read = assignment.record.document_version
    else:
        assignment.version_to_read = version_to_read(assignment)
    return assignment


def version_to_read(assignment: Assignment):
    """The exact version a signature now binds to: the one the assignment names,
    else the version of the requirement's document in force now (as the service does)."""
    if assignment.document_version is not None:
        return assignment.document_version
    document = assignment.requirement.document
    if document is None:
        return None
    return timeline.effective_version(
        list(document.versions.select_related("document")),
        at=timezone.now(),
        obsolete_from=document.obsolete_from,
        obsolete_recorded_at=document.obsolete_recorded_at,
    )


def my_records(user) -> tuple[object, list]:
    """The person's transcript (R1: corrections too) with each signature's
    manifestation and validity (S1)."""
    person = person_of(user)
    if person is None:
        return None, []
    lines = training_queries.person_transcript(person, user=user)
    lines.reverse()  # newest first
    return person, lines


def my_record(user, pk: int) -> tuple[object, object]:
    """One of the person's records as its line of `my_records`, or None."""
    person = person_of(user)
    if person is None:
        return None, None
    lines = training_queries.person_transcript(person, user=user, record=pk)
    return person, lines[0] if lines else None


@dataclass(frozen=True)
class QualificationLine:
    requirement: Requirement
    answer: RequirementAnswer
    why: list


def my_qualifications(user, *, now: dt.datetime | None = None) -> tuple[object, list]:
    """Q4/Q5 now: every requirement the person must hold, and whether they hold it,
    answered by the engine in one bulk evaluation."""
    now = now or timezone.now()
    person = person_of(user)
    if person is None:
        return None, []
    required = required_requirements(person, at=now)
    requirements = list(
        training_queries.requirements(user).filter(pk__in=required).order_by("code")
    )
    facts = Facts()
    facts.add_people([person])
    facts.add_requirements(requirements)
    facts.load([(person.pk, r.pk) for r in requirements])
    evaluator = Evaluator(facts)
    lines = [
        QualificationLine(r, evaluator.answer(person.pk, r.pk, now), required[r.pk])
        for r in requirements
    ]
    return person, lines
