"""Organisation reads. Job assignments are answered at an instant `at` (T2) and,
optionally, as the system knew them at `as_known_at` (Q7)."""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from qualify.accounts import policy
from qualify.ids import AmongRows
from qualify.org.models import (
    Client,
    Department,
    Framework,
    JobAssignment,
    JobFunction,
    Person,
    Site,
)
from qualify.org.scoping import restrict, restricted_clients


def assignments_held(
    *, at: dt.datetime, as_known_at: dt.datetime | None = None
) -> QuerySet[JobAssignment]:
    """Job assignments in force at `at`: valid_from <= at < valid_to, where only what
    was recorded by as_known_at counts (the start by recorded_at, the end by
    end_recorded_at). Chain .filter(person=...) or .filter(job_function=...)."""
    started = Q(valid_from__lte=at)
    not_ended = Q(valid_to__isnull=True) | Q(valid_to__gt=at)
    if as_known_at is not None:
        started &= Q(recorded_at__lte=as_known_at)
        # An end the system did not know of yet did not end anything.
        not_ended |= Q(end_recorded_at__gt=as_known_at)
    return JobAssignment.objects.filter(started & not_ended)


def job_functions_held(
    person: Person, *, at: dt.datetime, as_known_at: dt.datetime | None = None
) -> QuerySet[JobFunction]:
    """Q5/Q7: the job functions `person` holds at `at`, as known at as_known_at."""
    held = assignments_held(at=at, as_known_at=as_known_at).filter(person=person)
    return JobFunction.objects.filter(pk__in=held.values("job_function_id")).order_by("code")


def holders_of(job_function: JobFunction, *, at: dt.datetime) -> QuerySet[Person]:
    """Active people holding `job_function` at `at` (all that is known now)."""
    held = assignments_held(at=at).filter(job_function=job_function)
    return Person.objects.filter(active=True, pk__in=held.values("person_id"))


def people(user: Any) -> QuerySet[Person]:
    """People `user` may see. People belong to no client; a client-restricted user
    (U2) sees those who hold or held a job function of one of their clients."""
    clients = restricted_clients(user)
    everyone = Person.objects.select_related("site", "department", "user")
    if clients is None:
        return everyone
    return everyone.filter(
        pk__in=JobAssignment.objects.filter(job_function__client__in=clients).values("person_id")
    )


def job_assignments(user: Any) -> QuerySet[JobAssignment]:
    """Job assignments (a person's job history) `user` may see (U2): those of their
    clients' job functions, not in-house ones nor another client's."""
    return restrict(
        JobAssignment.objects.select_related("job_function", "person"),
        user,
        "job_function__client",
    )


def clients(user: Any) -> QuerySet[Client]:
    """Clients `user` may see: theirs when restricted, all otherwise (U2)."""
    return restrict(Client.objects.order_by("name"), user, "pk")


def job_functions(user: Any) -> QuerySet[JobFunction]:
    """Job functions `user` may see (U2)."""
    return restrict(JobFunction.objects.select_related("site", "department", "client"), user)


def person_text_match(text: str) -> Q:
    """People whose name, employee number or user id contains `text` (any capitals).
    The user ids as a subquery, not a join: joined, every person was paired with their
    user before the filter, and a page in name order could not walk the name index
    (issue 18: `q=Person 1` on 10,000 people, the page's read 10.5 -> 2 ms). Read as one
    array (AmongRows), so that on PostgreSQL each condition can come from its index
    (P203: a rare name among 50,000 people counted in 0.2 ms, not 20)."""
    users = get_user_model().objects.filter(username__icontains=text).values("pk")
    return (
        Q(full_name__icontains=text)
        | Q(employee_number__icontains=text)
        | AmongRows("user_id", users)
    )


def framework_codes(job_function_ids) -> dict[int, list[str]]:
    """Each job function's frameworks' codes, sorted, in one read (issue 18: a page of
    50 job functions through Django's prefetch cost more than the rows themselves)."""
    through = JobFunction.frameworks.through
    found: dict[int, list[str]] = {pk: [] for pk in job_function_ids}
    rows = (
        through.objects.filter(jobfunction_id__in=list(found))
        .order_by("framework__code")
        .values_list("jobfunction_id", "framework__code")
    )
    for pk, code in rows if found else ():
        found[pk].append(code)
    return found


def person_by_key(key: str) -> Person | None:
    """The person with this employee number, else the one linked to this user id."""
    key = (key or "").strip()
    if not key:
        return None
    return (
        Person.objects.filter(employee_number=key).first()
        or Person.objects.filter(user__username=key).first()
    )


def qualification_subjects(user: Any) -> QuerySet[Person]:
    """The people whose qualification `user` may ask about (P15): everyone they may
    see for QA, coordinators and auditors; their trainees and themselves for a
    trainer; themselves for anyone else."""
    return policy.only_own(people(user), user, policy.QUALIFICATIONS, person="")


def sites(user: Any) -> QuerySet[Site]:
    """Sites: organisation structure, the same for every user who may read it."""
    return Site.objects.order_by("code")


def departments(user: Any) -> QuerySet[Department]:
    return Department.objects.select_related("site").order_by("site__code", "code")


def frameworks(user: Any) -> QuerySet[Framework]:
    return Framework.objects.order_by("code")
