"""Reads for the trainer's pages, limited to the clients the trainer may see (U2)."""

from django.db.models import Q, QuerySet
from django.http import Http404

from qualify.edge import whole_number
from qualify.org import queries as org_queries
from qualify.org.models import Person
from qualify.training import queries as training_queries
from qualify.training.models import AssignmentStatus, Requirement


def requirements(user, method: str) -> QuerySet[Requirement]:
    return training_queries.requirements(user).filter(method=method, active=True).order_by("code")


def requirement(user, pk, method: str) -> Requirement:
    """404 for another client's requirement or one of another method."""
    number = whole_number(pk)
    found = (
        training_queries.requirements(user).filter(method=method, pk=number).first()
        if number is not None
        else None
    )
    if found is None:
        raise Http404("No such requirement.")
    return found


def people(user) -> QuerySet[Person]:
    return org_queries.people(user).filter(active=True, user__isnull=False)


def search_people(user, text: str, limit: int = 15) -> list[Person]:
    text = (text or "").strip()
    if len(text) < 2:
        return []
    match = (
        Q(full_name__icontains=text)
        | Q(employee_number__iexact=text)
        | Q(user__username__iexact=text)
    )
    return list(people(user).filter(match).order_by("full_name")[:limit])


def person(user, pk) -> Person:
    """A trainee the trainer may see (U2), else 404."""
    number = whole_number(pk)
    found = people(user).filter(pk=number).first() if number is not None else None
    if found is None:
        raise Http404("No such person.")
    return found


def due(user, requirement: Requirement) -> list[Person]:
    """People with an open assignment for the requirement: the session's likely roster."""
    ids = (
        training_queries.visible_assignments(user)
        .filter(requirement=requirement, status=AssignmentStatus.OPEN)
        .values_list("person_id", flat=True)
    )
    return list(people(user).filter(pk__in=ids).order_by("full_name")[:40])


def pending_signature(trainee: Person, requirement: Requirement):
    """What the on-the-job signatures are about before the record exists: the
    trainee's open assignment for the requirement (so a re-authentication ticket
    signs that one assignment), else the trainee's person record (training given
    without an assignment)."""
    found = (
        trainee.assignments.filter(requirement=requirement, status=AssignmentStatus.OPEN)
        .order_by("pk")
        .first()
    )
    return found or trainee
