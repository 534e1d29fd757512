"""Organisation: sites, departments, clients, job functions, people and their
effective-dated job assignments (T2: half-open [valid_from, valid_to))."""

import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from qualify.audit.registry import audited


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA time zone names, sorted. Read once per process: the search walks the
    whole zone database on disk (23 ms a call on a 2-CPU host), and the database does
    not change under a running process."""
    return tuple(sorted(zoneinfo.available_timezones()))


def validate_time_zone(value: str) -> None:
    if value not in _time_zone_set():
        raise ValidationError(
            f"{value!r} is not a known time zone (IANA name, e.g. Europe/Dublin)."
        )


@functools.cache
def _time_zone_set() -> frozenset[str]:
    return frozenset(time_zone_names())


class Retirable(models.Model):
    """Organisation data is never deleted: it is retired (kept for the history that
    names it, offered no more for new use)."""

    active = models.BooleanField(default=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


def code_unique_ci(model: str, *fields: str, what: str = "code") -> models.UniqueConstraint:
    """Codes are unique whatever their case: "sop" and "SOP" are one code."""
    return models.UniqueConstraint(
        *[models.F(f) for f in fields[:-1]],
        Lower(fields[-1]),
        name=f"{model}_code_unique_ci",
        violation_error_message=f"This {what} is already used (letter case does not matter).",
    )


class GatePolicy(models.TextChoices):
    REFUSE = "refuse", "Refuse the work"
    DEVIATION = "deviation", "Accept the work and open a deviation"


@audited
class Site(Retirable):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    gate_policy = models.CharField(
        max_length=20, choices=GatePolicy.choices, default=GatePolicy.REFUSE
    )
    # Q4: a document linked to no requirement answers "no training defined";
    # a gate treats that as not qualified unless the site allows it.
    allow_untrained_documents = models.BooleanField(default=False)
    late_entry_hours = models.PositiveIntegerField(
        default=72, help_text="T1: an attested time older than this at entry is flagged late."
    )

    class Meta:
        constraints = [code_unique_ci("site", "code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@audited
class Department(Retirable):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="departments")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="department_code_per_site"),
            code_unique_ci("department", "site", "code"),
        ]

    def __str__(self) -> str:
        return f"{self.site.code}/{self.code} {self.name}"


@audited
class Client(Retirable):
    """A sponsor whose procedures a CDMO or CRO works under (U2 client scope)."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [code_unique_ci("client", "code")]

    def __str__(self) -> str:
        return self.name


class ClientAccess(models.Model):
    """Restricts a user to clients (U2). A user with no rows here is not restricted;
    a restricted user sees only objects of their clients, not in-house ones."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_access"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="client_access_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} restricted to {self.client}"


class Framework(Retirable):
    """A regulatory framework tag: GMP, GCP, GLP, GDP, ISO 13485, PSM…"""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]
        constraints = [code_unique_ci("framework", "code")]

    def __str__(self) -> str:
        return self.code


@audited
class JobFunction(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="job_functions"
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="job_functions",
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="job_functions"
    )
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="job_functions")
    active = models.BooleanField(default=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [code_unique_ci("jobfunction", "code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def had_left(left_at, left_recorded_at, at, as_known_at=None) -> bool:
    """Q9 on plain values: a person who left at `left_at`, recorded at
    `left_recorded_at`, had left at `at` as known at `as_known_at` (Q7)."""
    if left_at is None or left_at > at:
        return False
    if as_known_at is None:
        return True
    recorded = left_recorded_at or left_at
    return recorded <= as_known_at


@audited
class Person(models.Model):
    employee_number = models.CharField(max_length=40, unique=True)
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="people")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person",
    )
    # E5: work can be attested only within [employed_from, left_at). Q7: left_at is
    # when the person left (HR may report it late), deactivated_at when the system
    # learnt it, so "as known at K" answers ignore a leaving recorded after K.
    employed_from = models.DateTimeField(
        default=timezone.now, help_text="When the employment began."
    )
    left_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person left (effective)."
    )
    active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the leaving was recorded."
    )

    class Meta:
        ordering = ["full_name"]
        permissions = [("manage_people", "Can create and change people and job assignments")]
        constraints = [code_unique_ci("person", "employee_number", what="employee number")]
        # Issue 18 (P178): a page of people in name order reads 50 rows of this index, not
        # a sort of every person of the plant.
        indexes = [models.Index(fields=["full_name"], name="person_name")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.employee_number})"

    def had_left(self, at, *, as_known_at=None) -> bool:
        """Q9: had the person left at `at`, as known at `as_known_at` (Q7)?"""
        return had_left(self.left_at, self.deactivated_at, at, as_known_at)


@audited
class JobAssignment(models.Model):
    """Person P holds job function J over [valid_from, valid_to).

    Q7: `recorded_at` is when the system learnt of it and `end_recorded_at` when it
    learnt of the end, so answers "as known at K" ignore what came later.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="job_assignments")
    job_function = models.ForeignKey(
        JobFunction, on_delete=models.PROTECT, related_name="assignments"
    )
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    end_recorded_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["valid_from", "pk"]
        indexes = [models.Index(fields=["job_function", "valid_from"], name="jobassign_function")]
        constraints = [
            models.CheckConstraint(
                # Empty [from, from) is allowed: an assignment cancelled before it
                # began (person deactivated) holds nothing, ever.
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="jobassign_interval_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} as {self.job_function.code} from {self.valid_from:%Y-%m-%d}"
