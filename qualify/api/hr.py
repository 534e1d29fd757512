"""The HR feed: create or update a person and their effective-dated job
assignments, through the organisation services (so G2 and G6 fire as from the
pages). Used by the API (one, bulk) and by `qualify import people`.

A person is keyed by employee number. Each listed job assignment is keyed by
(job function, valid_from): missing ones are started; one given a valid_to is ended
there. Job assignments not listed are left as they are, so a feed that sends the
same data twice changes nothing the second time.
"""

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from qualify.api.errors import Conflict
from qualify.api.fields import AwareDateTimeField
from qualify.org import services as org
from qualify.org.models import Department, JobFunction, Person, Site
from qualify.org.queries import people as visible_people
from qualify.org.scoping import restrict


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
    employed_from = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the employment began, with a UTC offset (default: when created). "
        "No work is attested before it (E5).",
    )
    left_at = serializers.DateTimeField(
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
