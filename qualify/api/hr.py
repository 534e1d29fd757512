"""The HR feed: create or update a person and their effective-dated job
assignments, through the organisation services (so G2 and G6 fire as from the
pages). Used by the API (one, bulk) and by `qualify import people`.

A person is keyed by employee number. Each listed job assignment is keyed by
(job function, valid_from): missing ones are started; one given a valid_to is ended
there. Job assignments not listed are left as they are, so a feed that sends the
same data twice changes nothing the second time.
"""

import itertools
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from qualify.api.errors import Conflict
from qualify.api.fields import AwareDateTimeField
from qualify.api.webhooks import emit as webhooks
from qualify.audit import services as audit
from qualify.guards import require_perm
from qualify.org import services as org
from qualify.org.models import Department, JobAssignment, JobFunction, Person, Site
from qualify.org.queries import people as visible_people
from qualify.org.scoping import restrict
from qualify.training.services.rules.matrix_rules import assign_for_job_assignments


class JobAssignmentInput(serializers.Serializer):
    job_function = serializers.CharField(max_length=40, help_text="Job function code.")
    valid_from = AwareDateTimeField(help_text="Start, with a UTC offset (T2).")
    valid_to = AwareDateTimeField(
        required=False, allow_null=True, help_text="End (exclusive), if it has ended."
    )

    def validate_job_function(self, value: str) -> JobFunction:
        user = self.context["request_user"]
        found = restrict(JobFunction.objects.all(), user).filter(code=value.strip()).first()
        if found is None:
            raise serializers.ValidationError(f"No job function {value!r}.")
        return found

    def validate(self, attrs):
        if attrs.get("valid_to") is not None and attrs["valid_to"] <= attrs["valid_from"]:
            raise serializers.ValidationError({"valid_to": "Must be after valid_from (T2)."})
        return attrs


class PersonInput(serializers.Serializer):
    employee_number = serializers.CharField(max_length=40)
    full_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    site = serializers.CharField(max_length=20, help_text="Site code.")
    department = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="Department code."
    )
    manager = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The manager's employee number.",
    )
    active = serializers.BooleanField(
        required=False, default=True, help_text="false deactivates the person (G6)."
    )
    employed_from = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the employment began, with a UTC offset (default: when created). "
        "No work is attested before it (E5).",
    )
    left_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="With active=false: when the person left (default: now). From then on "
        "they are not qualified (Q9).",
    )
    job_assignments = JobAssignmentInput(many=True, required=False, default=list)

    def validate(self, attrs):
        site = Site.objects.filter(code=attrs["site"].strip()).first()
        if site is None:
            raise serializers.ValidationError({"site": f"No site {attrs['site']!r}."})
        attrs["site"] = site
        code = attrs.get("department", "").strip()
        attrs["department"] = None
        if code:
            attrs["department"] = Department.objects.filter(site=site, code=code).first()
            if attrs["department"] is None:
                raise serializers.ValidationError(
                    {"department": f"No department {code!r} at {site.code}."}
                )
        number = attrs.get("manager", "").strip()
        attrs["manager"] = None
        if number:
            attrs["manager"] = Person.objects.filter(employee_number=number).first()
            if attrs["manager"] is None:
                raise serializers.ValidationError({"manager": f"No person {number!r}."})
        return attrs


def person_upsert(*, actor: Any, data: dict, reason: str) -> tuple[Person, bool]:
    """Apply one validated PersonInput; returns (person, created)."""
    number = data["employee_number"].strip()
    fields = {
        "full_name": data["full_name"].strip(),
        "email": data.get("email", ""),
        "site": data["site"],
        "department": data.get("department"),
        "manager": data.get("manager"),
    }
    person = Person.objects.filter(employee_number=number).first()
    created = person is None
    if created:
        try:
            person = org.person_create(
                actor=actor,
                employee_number=number,
                employed_from=data.get("employed_from"),
                **fields,
            )
        except org.PersonExists as exc:
            raise Conflict(
                f"{exc.person} was created at the same time by another request.",
                existing=_existing(exc.person),
            ) from None
    else:
        if data.get("employed_from") is not None:
            fields["employed_from"] = data["employed_from"]
        if not visible_people(actor).filter(pk=person.pk).exists():
            raise NotFound(f"No person {number!r}.")
        changed = {k: v for k, v in fields.items() if getattr(person, k) != v}
        if changed:
            person = org.person_update(actor=actor, person=person, reason=reason, **changed)
    for item in data.get("job_assignments", []):
        _sync_job_assignment(actor, person, item, reason)
    if data.get("active", True) is False and person.active:
        person = org.person_deactivate(
            actor=actor, person=person, reason=reason, left_at=data.get("left_at")
        )
    elif data.get("active", True) and not person.active:
        raise ValidationError({"active": f"{person} is deactivated; reactivation is not offered."})
    return person, created


def _existing(person: Person) -> dict:
    from qualify.api.views.people import PersonOut  # the API's own shape of a person

    return dict(PersonOut(person).data)


def _sync_job_assignment(actor: Any, person: Person, item: dict, reason: str) -> None:
    job_function, valid_from = item["job_function"], item["valid_from"]
    valid_to = item.get("valid_to")
    current = person.job_assignments.filter(
        job_function=job_function, valid_from=valid_from
    ).first()
    if current is None:
        if not person.active:
            return
        current = org.job_assignment_start(
            actor=actor,
            person=person,
            job_function=job_function,
            valid_from=valid_from,
            reason=reason,
        )
    if valid_to is None:
        return
    if current.valid_to is None:
        org.job_assignment_end(actor=actor, assignment=current, valid_to=valid_to, reason=reason)
    elif current.valid_to != valid_to and current.valid_to != current.valid_from:
        raise ValidationError(
            {"valid_to": f"{job_function.code} from {valid_from} already ended {current.valid_to}."}
        )


# --- many people at once (the CSV import, the bulk endpoint) ------------------------

CHUNK = 500


@dataclass
class JobRow:
    line: int
    job_function: JobFunction
    valid_from: Any
    valid_to: Any = None


@dataclass
class PersonRow:
    line: int
    number: str
    values: dict[str, str]
    full_name: str = ""
    email: str = ""
    site: Site | None = None
    department: Department | None = None
    manager: str = ""
    active: bool = True
    employed_from: Any = None
    left_at: Any = None
    jobs: list[JobRow] = field(default_factory=list)


def people_create_bulk(
    *, actor: Any, new: list[PersonRow], reason: str, managers: dict[str, Person]
) -> list[Person]:
    """Insert new people and their job assignments in bulk, audit each row, and run G2
    once for all the job assignments (P17). The rows are checked already (references,
    types, overlaps); `managers` maps lower-case employee numbers to people and gets
    the new people added. Runs in the caller's transaction."""
    now = timezone.now()
    people = [
        Person(
            employee_number=p.number,
            full_name=p.full_name,
            email=p.email,
            site=p.site,
            department=p.department,
            employed_from=p.employed_from or now,
        )
        for p in new
    ]
    try:
        with transaction.atomic():
            people = Person.objects.bulk_create(people, batch_size=CHUNK)
    except IntegrityError:
        taken = Person.objects.filter(employee_number__in=[p.number for p in new])
        numbers = ", ".join(sorted(taken.values_list("employee_number", flat=True))[:20])
        raise ValidationError(
            f"People were created by someone else meanwhile ({numbers}); import again."
        ) from None
    by_number = {p.employee_number: p for p in people}
    managers.update((p.employee_number.lower(), p) for p in people)
    with_manager = []
    for row, person in zip(new, people, strict=True):
        if row.manager:
            person.manager = managers[row.manager.lower()]
            with_manager.append(person)
    Person.objects.bulk_update(with_manager, ["manager"], batch_size=CHUNK)
    audit.record_many(audit.pending("org.person.created", p, actor=actor) for p in people)
    jobs = [
        JobAssignment(
            person=by_number[row.number],
            job_function=job.job_function,
            valid_from=job.valid_from,
            valid_to=job.valid_to,
            recorded_at=now,
            end_recorded_at=now if job.valid_to is not None else None,
            reason=reason,
        )
        for row in new
        for job in row.jobs
    ]
    jobs = JobAssignment.objects.bulk_create(jobs, batch_size=CHUNK)
    audit.record_many(
        audit.pending("org.job_assignment.started", j, actor=actor, reason=reason) for j in jobs
    )
    assign_for_job_assignments(actor=actor, jobs=jobs)
    if any(s.client_id is None for s in webhooks.subscribers("person.job_assignment.started")):
        for job in jobs:
            webhooks.on_job_assignment_started(assignment=job)
    # A person reported as already gone: deactivated through the service, which ends
    # their job assignments and cancels what G2 gave them (G6), as the API would.
    for row in new:
        if not row.active:
            org.person_deactivate(
                actor=actor, person=by_number[row.number], reason=reason, left_at=row.left_at
            )
    return people


def job_overlaps(jobs: list[JobRow]) -> list[tuple[JobRow, JobRow]]:
    """Pairs (earlier, later) of one job function whose intervals overlap (T2)."""
    found = []
    by_function: dict[int, list[JobRow]] = {}
    for job in jobs:
        by_function.setdefault(job.job_function.pk, []).append(job)
    for same in by_function.values():
        same.sort(key=lambda j: j.valid_from)
        for before, after in itertools.pairwise(same):
            if before.valid_to is None or before.valid_to > after.valid_from:
                found.append((before, after))
    return found


@transaction.atomic
def people_bulk_upsert(*, actor: Any, items: list[dict], reason: str) -> tuple[list[Person], int]:
    """The bulk endpoint: validated PersonInput items, all or nothing. Every item is
    checked before anything is written; new people are written in bulk
    (people_create_bulk), known ones one by one (person_upsert). Returns the people in
    the order given and how many were created."""
    require_perm(
        actor,
        "org.manage_people",
        message="Only a training coordinator can manage people and job assignments.",
    )
    errors: dict[str, list[str]] = {}
    first: dict[str, int] = {}
    rows: list[PersonRow] = []
    for index, item in enumerate(items):
        number = item["employee_number"].strip()
        if number.lower() in first:
            errors[f"people.{index}.employee_number"] = [
                f"{number} is also at people.{first[number.lower()]}."
            ]
        first.setdefault(number.lower(), index)
        jobs = [
            JobRow(n, a["job_function"], a["valid_from"], a.get("valid_to"))
            for n, a in enumerate(item.get("job_assignments", []))
        ]
        for n, job in enumerate(jobs):
            if not job.job_function.active:
                errors[f"people.{index}.job_assignments.{n}.job_function"] = [
                    f"{job.job_function} is no longer in use."
                ]
        for before, after in job_overlaps(jobs):
            errors[f"people.{index}.job_assignments.{after.line}.valid_from"] = [
                f"Overlaps job_assignments.{before.line} (T2)."
            ]
        manager = item.get("manager")
        rows.append(
            PersonRow(
                line=index,
                number=number,
                values={},
                full_name=item["full_name"].strip(),
                email=item.get("email", ""),
                site=item["site"],
                department=item.get("department"),
                manager=manager.employee_number if manager is not None else "",
                active=item.get("active", True),
                employed_from=item.get("employed_from"),
                left_at=item.get("left_at"),
                jobs=jobs,
            )
        )
    if errors:
        raise ValidationError(errors)
    known = {
        p.employee_number.lower(): p
        for p in Person.objects.annotate(number_ci=Lower("employee_number")).filter(
            number_ci__in=list(first)
        )
    }
    managers = {p.employee_number.lower(): p for p in (item.get("manager") for item in items) if p}
    new = [r for r in rows if r.number.lower() not in known]
    created = {p.employee_number.lower(): p for p in people_create_bulk(
        actor=actor, new=new, reason=reason, managers=managers
    )}  # fmt: skip
    result = []
    for index, (item, row) in enumerate(zip(items, rows, strict=True)):
        if row.number.lower() in created:
            result.append(created[row.number.lower()])
            continue
        try:
            person, _ = person_upsert(actor=actor, data=item, reason=reason)
        except ValidationError as exc:
            errors[f"people.{index}"] = exc.messages
            continue
        result.append(person)
    if errors:
        raise ValidationError(errors)
    return result, len(created)
