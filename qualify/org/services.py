"""Organisation services: every write to sites, clients, job functions, people and
job assignments goes through these (one transaction, permission, audit event)."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from qualify.audit import services as audit
from qualify.guards import require_aware, require_perm, require_reason
from qualify.org import events
from qualify.org.lifecycle import (  # noqa: F401  (re-exported: one services interface)
    check_code_free,
    client_retire,
    client_update,
    department_retire,
    department_update,
    framework_retire,
    framework_update,
    job_function_retire,
    site_retire,
    site_update,
    uses_of,
)
from qualify.org.models import (
    Client,
    ClientAccess,
    Department,
    Framework,
    JobAssignment,
    JobFunction,
    Person,
    Site,
)
from qualify.org.scoping import check_client, forget_restriction

# Codes a framework_ensure() call may name without a name of its own.
KNOWN_FRAMEWORKS = {
    "GMP": "Good Manufacturing Practice",
    "GCP": "Good Clinical Practice",
    "GLP": "Good Laboratory Practice",
    "GDP": "Good Distribution Practice",
    "GVP": "Good Pharmacovigilance Practice",
    "ISO13485": "ISO 13485 medical devices quality management",
    "QSR": "21 CFR 820 Quality System Regulation / QMSR",
    "PSM": "OSHA Process Safety Management (29 CFR 1910.119)",
}

PERSON_FIELDS = {
    "employee_number",
    "full_name",
    "email",
    "site",
    "department",
    "manager",
    "user",
    "employed_from",
}
JOB_FUNCTION_FIELDS = {"code", "name", "site", "department", "client", "frameworks", "active"}


def _refuse_retired(**named: Any) -> None:
    """New uses of retired organisation data are refused, field by field."""
    errors = {}
    for field, value in named.items():
        rows = [value] if isinstance(value, Model) else [r for r in (value or ()) if r]
        # Read from the database: the caller's instance may predate the retirement.
        retired = [
            str(row)
            for row in rows
            if not type(row).objects.filter(pk=row.pk, active=True).exists()
        ]
        if retired:
            errors[field] = f"Retired, no longer offered: {', '.join(retired)}."
    if errors:
        raise ValidationError(errors)


def _reject_unknown(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")


# --- sites, departments, clients, frameworks ---------------------------------


@transaction.atomic
def site_create(
    *, actor: Any, code: str, name: str, time_zone: str = "UTC", **options: Any
) -> Site:
    require_perm(actor, "org.add_site", message="Only an administrator can create sites.")
    _reject_unknown(options, {"gate_policy", "allow_untrained_documents", "late_entry_hours"})
    code = check_code_free(Site, code)
    site = Site(code=code, name=name.strip(), time_zone=(time_zone or "").strip(), **options)
    site.full_clean()
    site.save()
    audit.record("org.site.created", site, actor=actor)
    return site


@transaction.atomic
def department_create(*, actor: Any, site: Site, code: str, name: str) -> Department:
    require_perm(
        actor, "org.add_department", message="Only an administrator can create departments."
    )
    _refuse_retired(site=site)
    code = check_code_free(Department, code, site=site)
    department = Department(site=site, code=code, name=name.strip())
    department.full_clean()
    department.save()
    audit.record("org.department.created", department, actor=actor)
    return department


@transaction.atomic
def client_create(*, actor: Any, code: str, name: str) -> Client:
    require_perm(actor, "org.add_client", message="Only an administrator can create clients.")
    code = check_code_free(Client, code)
    client = Client(code=code, name=name.strip())
    client.full_clean()
    client.save()
    audit.record("org.client.created", client, actor=actor)
    return client


def _client_codes(user: Any) -> list[str]:
    return sorted(ClientAccess.objects.filter(user=user).values_list("client__code", flat=True))


def _refuse_own_access(actor: Any, user: Any, client: Client) -> None:
    """U3: no administrator changes their own client access; the refusal is audited
    in a transaction of its own (A5)."""
    if actor is not None and user.pk == actor.pk:
        why = "Administrators cannot change their own client access; another administrator must."
        audit.record_refusal(
            "org.client_access.refused",
            actor=actor,
            why=why,
            object_type="accounts.user",
            object_id=user.pk,
            detail={"client": client.code},
        )
        raise ValidationError({"client": why})


def client_access_grant(*, actor: Any, user: Any, client: Client, reason: str) -> ClientAccess:
    """Restrict `user` to `client` (in addition to any clients they already have).
    The first grant turns an unrestricted user into a restricted one (U2). The event
    keeps the reason and the old and new clients (U3)."""
    require_perm(
        actor,
        "accounts.manage_accounts",
        message="Only an administrator can restrict users to clients.",
    )
    reason = require_reason(reason)
    _refuse_own_access(actor, user, client)
    return _client_access_grant(actor=actor, user=user, client=client, reason=reason)


@transaction.atomic
def _client_access_grant(*, actor: Any, user: Any, client: Client, reason: str) -> ClientAccess:
    old = _client_codes(user)
    if ClientAccess.objects.filter(user=user, client=client).exists():
        raise ValidationError({"client": f"{user} is already given access to {client}."})
    access = ClientAccess(user=user, client=client)
    access.full_clean()
    access.save()
    forget_restriction(user)
    audit.record(
        "org.client_access.granted",
        object_type="accounts.user",
        object_id=user.pk,
        actor=actor,
        reason=reason,
        detail={"client": client.code, "clients": [old, _client_codes(user)]},
    )
    return access


def client_access_revoke(
    *, actor: Any, user: Any, client: Client, reason: str, make_unrestricted: bool = False
) -> None:
    """Remove one client from a restricted user. Removing the last one makes the user
    unrestricted (they then see every client's and the in-house records), so that
    widening must be asked for explicitly with make_unrestricted=True."""
    require_perm(
        actor,
        "accounts.manage_accounts",
        message="Only an administrator can change users' client restrictions.",
    )
    reason = require_reason(reason)
    _refuse_own_access(actor, user, client)
    _client_access_revoke(
        actor=actor, user=user, client=client, reason=reason, make_unrestricted=make_unrestricted
    )


@transaction.atomic
def _client_access_revoke(
    *, actor: Any, user: Any, client: Client, reason: str, make_unrestricted: bool
) -> None:
    rows = list(ClientAccess.objects.select_for_update().filter(user=user).order_by("pk"))
    old = _client_codes(user)
    access = next((row for row in rows if row.client_id == client.pk), None)
    if access is None:
        raise ValidationError({"client": f"{user} has no access to {client}."})
    if len(rows) == 1 and not make_unrestricted:
        raise ValidationError(
            {
                "client": (
                    f"{client} is the only client {user} is restricted to; removing it would "
                    "let them see every client's records; confirm that this is intended."
                )
            }
        )
    access.delete()
    forget_restriction(user)
    audit.record(
        "org.client_access.revoked",
        object_type="accounts.user",
        object_id=user.pk,
        actor=actor,
        reason=reason,
        detail={
            "client": client.code,
            "unrestricted": len(rows) == 1,
            "clients": [old, _client_codes(user)],
        },
    )


@transaction.atomic
def framework_ensure(*, actor: Any = None, code: str, name: str = "") -> Framework:
    """The framework with `code`, created if missing (idempotent; actor=None is for
    installation and seeding)."""
    if actor is not None:
        require_perm(
            actor, "org.add_framework", message="Only an administrator can add frameworks."
        )
    code = code.strip().upper().replace(" ", "")
    existing = Framework.objects.filter(code__iexact=code).first()
    if existing is not None:
        return existing
    name = (name or "").strip() or KNOWN_FRAMEWORKS.get(code, "")
    if not name:
        raise ValidationError({"name": f"{code!r} is not a known framework; give its name."})
    framework = Framework(code=code, name=name)
    framework.full_clean()
    framework.save()
    audit.record(
        "org.framework.created",
        object_type="org.framework",
        object_id=framework.pk,
        actor=actor,
        detail={"code": code, "name": name},
    )
    return framework


# --- job functions ------------------------------------------------------------


@transaction.atomic
def job_function_create(
    *,
    actor: Any,
    code: str,
    name: str,
    site: Site | None = None,
    client: Client | None = None,
    frameworks: Any = (),
    department: Department | None = None,
) -> JobFunction:
    require_perm(
        actor,
        "org.add_jobfunction",
        message="Only a training coordinator can create job functions.",
    )
    check_client(actor, client.pk if client else None)
    code = check_code_free(JobFunction, code)
    _refuse_retired(site=site, department=department, client=client, frameworks=frameworks)
    job_function = JobFunction(
        code=code, name=name.strip(), site=site, department=department, client=client
    )
    _clean_job_function(job_function)
    job_function.save()
    job_function.frameworks.set(frameworks)
    audit.record(
        "org.job_function.created",
        job_function,
        actor=actor,
        detail={"frameworks": sorted(f.code for f in job_function.frameworks.all())},
    )
    return job_function


def _clean_job_function(job_function: JobFunction) -> None:
    job_function.full_clean()
    department = job_function.department
    if department is not None:
        if job_function.site_id is None:
            job_function.site = department.site
        elif department.site_id != job_function.site_id:
            raise ValidationError(
                {"department": f"{department} belongs to another site than {job_function.site}."}
            )


@transaction.atomic
def job_function_update(
    *, actor: Any, job_function: JobFunction, reason: str, **fields: Any
) -> JobFunction:
    require_perm(
        actor,
        "org.change_jobfunction",
        message="Only a training coordinator can change job functions.",
    )
    _reject_unknown(fields, JOB_FUNCTION_FIELDS)
    reason = require_reason(reason)
    job_function = JobFunction.objects.select_for_update().get(pk=job_function.pk)
    check_client(actor, job_function.client_id)
    if "client" in fields:
        new_client = fields["client"]
        check_client(actor, new_client.pk if new_client else None)
    before = audit.state_of(job_function)
    old_frameworks = sorted(f.code for f in job_function.frameworks.all())
    frameworks = fields.pop("frameworks", None)
    if "code" in fields:
        fields["code"] = check_code_free(JobFunction, fields["code"], exclude=job_function.pk)
    _refuse_retired(
        site=fields.get("site"),
        department=fields.get("department"),
        client=fields.get("client"),
        frameworks=frameworks or (),
    )
    for name, value in fields.items():
        setattr(job_function, name, value.strip() if isinstance(value, str) else value)
    _clean_job_function(job_function)
    job_function.save()
    detail = {}
    if frameworks is not None:
        job_function.frameworks.set(frameworks)
        new_frameworks = sorted(f.code for f in job_function.frameworks.all())
        if new_frameworks != old_frameworks:
            detail["frameworks"] = [old_frameworks, new_frameworks]
    audit.record(
        "org.job_function.updated",
        job_function,
        actor=actor,
        before=before,
        reason=reason,
        detail=detail,
    )
    return job_function


# --- people -----------------------------------------------------------------


def _manage_people(actor: Any) -> None:
    require_perm(
        actor,
        "org.manage_people",
        message="Only a training coordinator can manage people and job assignments.",
    )


@transaction.atomic
def person_create(
    *,
    actor: Any,
    employee_number: str,
    full_name: str,
    site: Site,
    email: str = "",
    department: Department | None = None,
    manager: Person | None = None,
    user: Any = None,
    employed_from: dt.datetime | None = None,
) -> Person:
    """A person employed from `employed_from` (default: now; earlier for an HR feed
    that reports a hire late)."""
    _manage_people(actor)
    if employed_from is not None:
        require_aware(employed_from, "employed_from")
    employee_number = (employee_number or "").strip()
    same = Person.objects.filter(employee_number__iexact=employee_number).first()
    if same is not None and same.employee_number != employee_number:
        raise ValidationError(
            {
                "employee_number": f"{same} already has this employee number "
                "(letter case does not matter)."
            }
        )
    _refuse_retired(site=site, department=department)
    person = Person(
        employee_number=employee_number,
        full_name=full_name.strip(),
        email=email,
        site=site,
        department=department,
        manager=manager,
        user=user,
        employed_from=employed_from or timezone.now(),
    )
    _clean_person(person)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            person.save()
    except IntegrityError:
        # Two creations of one employee number at once: both passed the check above,
        # the database kept the first. The second learns which person exists (P16).
        existing = Person.objects.filter(employee_number__iexact=person.employee_number).first()
        if existing is None:
            raise
        raise PersonExists(existing) from None
    audit.record("org.person.created", person, actor=actor)
    return person


class PersonExists(Exception):
    """A person with this employee number was created meanwhile (a duplicate race)."""

    def __init__(self, person: Person) -> None:
        super().__init__(f"{person} already exists.")
        self.person = person


def _clean_person(person: Person) -> None:
    if person.user_id:
        # A person is linked to at most one login, and a login to at most one person.
        other = Person.objects.filter(user_id=person.user_id).exclude(pk=person.pk).first()
        if other is not None:
            raise ValidationError(
                {"user": f"The user id {person.user} is already linked to {other}."}
            )
    person.full_clean()
    if person.department_id and person.department.site_id != person.site_id:
        raise ValidationError(
            {"department": f"{person.department} belongs to another site than {person.site}."}
        )
    if person.manager_id and person.pk and person.manager_id == person.pk:
        raise ValidationError({"manager": "A person cannot be their own manager."})
    if person.manager_id and person.pk:
        _refuse_manager_cycle(person)
    if person.left_at is not None and person.employed_from > person.left_at:
        raise ValidationError(
            {"employed_from": f"{person} left at {person.left_at:%Y-%m-%d %H:%M %Z}; the "
             "employment cannot begin after that."}
        )  # fmt: skip


def _refuse_manager_cycle(person: Person) -> None:
    seen, manager = {person.pk}, person.manager
    while manager is not None:
        if manager.pk in seen:
            raise ValidationError(
                {"manager": f"{person.manager} reports (directly or not) to {person}."}
            )
        seen.add(manager.pk)
        manager = manager.manager


@transaction.atomic
def person_update(*, actor: Any, person: Person, reason: str, **fields: Any) -> Person:
    _manage_people(actor)
    _reject_unknown(fields, PERSON_FIELDS)
    reason = require_reason(reason)
    person = Person.objects.select_for_update().get(pk=person.pk)
    if "employee_number" in fields:
        number = (fields["employee_number"] or "").strip()
        same = Person.objects.filter(employee_number__iexact=number).exclude(pk=person.pk).first()
        if same is not None:
            raise ValidationError({"employee_number": f"{same} already has this employee number."})
    _refuse_retired(**{k: fields[k] for k in ("site", "department") if fields.get(k) is not None})
    before = audit.state_of(person)
    for name, value in fields.items():
        setattr(person, name, value.strip() if isinstance(value, str) else value)
    _clean_person(person)
    person.save()
    audit.record("org.person.updated", person, actor=actor, before=before, reason=reason)
    return person


def person_set_manager(
    *, actor: Any, person: Person, manager: Person | None, reason: str
) -> Person:
    """The person's manager (None: no manager), with a reason (A1). A cycle of
    managers is refused."""
    if manager is not None and not manager.active:
        raise ValidationError({"manager": f"{manager} has left."})
    return person_update(actor=actor, person=person, reason=reason, manager=manager)


@transaction.atomic
def person_deactivate(
    *, actor: Any, person: Person, reason: str, left_at: dt.datetime | None = None
) -> Person:
    """Deactivate a person who left at `left_at` (default: now; earlier when HR reports
    the leaving late) and end their job assignments then (G6 follows from the
    person_deactivated hook, fired after the writes). Nothing is deleted.

    `deactivated_at` is when the system learnt it (Q7), `left_at` when it took
    effect: from then on the person is not qualified (Q9) and no work can be attested.
    An assignment that had not started by then is ended at its own start, leaving the
    empty interval [from, from): it never counted and now never will.
    """
    _manage_people(actor)
    reason = require_reason(reason)
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not person.active:
        raise ValidationError(f"{person} was already deactivated at {person.deactivated_at}.")
    now = timezone.now()
    if left_at is None:
        left_at = now
    require_aware(left_at, "left_at")
    if left_at > now:
        raise ValidationError(
            {"left_at": "The leaving time is in the future; deactivate the person once they "
             "have left."}
        )  # fmt: skip
    if left_at < person.employed_from:
        raise ValidationError(
            {
                "left_at": f"{person} was employed only from "
                f"{person.employed_from:%Y-%m-%d %H:%M %Z}; they cannot have left before."
            }
        )
    still_open = person.job_assignments.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=left_at))
    for assignment in still_open.order_by("pk"):
        before = audit.state_of(assignment)
        assignment.valid_to = max(left_at, assignment.valid_from)
        assignment.end_recorded_at = now
        assignment.full_clean()
        assignment.save()
        audit.record(
            "org.job_assignment.ended",
            assignment,
            actor=actor,
            before=before,
            reason=f"Person deactivated: {reason}",
        )
    before = audit.state_of(person)
    person.active = False
    person.deactivated_at = now
    person.left_at = left_at
    person.full_clean()
    person.save()
    audit.record("org.person.deactivated", person, actor=actor, before=before, reason=reason)
    events.person_deactivated.fire(actor=actor, person=person, reason=reason)
    return person


# --- job assignments (T2: [valid_from, valid_to); Q7: recorded_at, end_recorded_at) ---


@transaction.atomic
def job_assignment_start(
    *,
    actor: Any,
    person: Person,
    job_function: JobFunction,
    valid_from: dt.datetime,
    reason: str = "",
) -> JobAssignment:
    """Person holds job function from valid_from (past for a backdated HR feed, or
    future) until ended. An overlapping interval of the same function is refused."""
    _manage_people(actor)
    require_aware(valid_from, "valid_from")
    # Lock the person so two concurrent starts cannot both pass the overlap check.
    person = Person.objects.select_for_update().get(pk=person.pk)
    job_function = JobFunction.objects.get(pk=job_function.pk)
    check_client(actor, job_function.client_id)
    if not person.active:
        raise ValidationError({"person": f"{person} is deactivated."})
    if not job_function.active:
        raise ValidationError({"job_function": f"{job_function} is no longer in use."})
    overlapping = (
        person.job_assignments.filter(job_function=job_function)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
        .exclude(valid_to=F("valid_from"))  # empty intervals never held anything
        .first()
    )
    if overlapping is not None:
        until = f"until {overlapping.valid_to:%Y-%m-%d %H:%M %Z}" if overlapping.valid_to else ""
        raise ValidationError(
            {
                "valid_from": (
                    f"{person} already holds {job_function.code} from "
                    f"{overlapping.valid_from:%Y-%m-%d %H:%M %Z} {until}".rstrip()
                    + "; the intervals would overlap."
                )
            }
        )
    assignment = JobAssignment(
        person=person,
        job_function=job_function,
        valid_from=valid_from,
        recorded_at=timezone.now(),
        reason=(reason or "").strip(),
    )
    assignment.full_clean()
    assignment.save()
    audit.record("org.job_assignment.started", assignment, actor=actor, reason=assignment.reason)
    events.job_assignment_started.fire(actor=actor, assignment=assignment)
    return assignment


@transaction.atomic
def job_assignment_end(
    *, actor: Any, assignment: JobAssignment, valid_to: dt.datetime, reason: str
) -> JobAssignment:
    _manage_people(actor)
    reason = require_reason(reason)
    require_aware(valid_to, "valid_to")
    assignment = JobAssignment.objects.select_for_update().get(pk=assignment.pk)
    check_client(actor, assignment.job_function.client_id)
    if assignment.valid_to is not None:
        raise ValidationError(
            {
                "valid_to": (
                    f"This assignment already ended at {assignment.valid_to:%Y-%m-%d %H:%M %Z}."
                )
            }
        )
    if valid_to <= assignment.valid_from:
        raise ValidationError(
            {
                "valid_to": (
                    f"The end must be after the start ({assignment.valid_from:%Y-%m-%d %H:%M %Z})."
                )
            }
        )
    before = audit.state_of(assignment)
    assignment.valid_to = valid_to
    assignment.end_recorded_at = timezone.now()
    assignment.full_clean()
    assignment.save()
    audit.record("org.job_assignment.ended", assignment, actor=actor, before=before, reason=reason)
    events.job_assignment_ended.fire(actor=actor, assignment=assignment, reason=reason)
    return assignment


@transaction.atomic
def person_change_job(
    *,
    actor: Any,
    person: Person,
    job_function: JobFunction,
    effective: dt.datetime,
    reason: str,
    ending: JobAssignment | None = None,
) -> JobAssignment:
    """A change of job from `effective` (T2): the job assignment `ending` (if any)
    ends at `effective` and the new one starts then, in one transaction, both with
    the reason. An end before the ending assignment's start is refused."""
    _manage_people(actor)
    reason = require_reason(reason)
    require_aware(effective, "effective")
    if ending is not None:
        if ending.person_id != person.pk:
            raise ValidationError({"ending": f"This job assignment is not {person}'s."})
        try:
            job_assignment_end(actor=actor, assignment=ending, valid_to=effective, reason=reason)
        except ValidationError as exc:
            # Said about the change as the person asking for it sees it.
            if hasattr(exc, "error_dict") and "valid_to" in exc.error_dict:
                raise ValidationError(
                    {"effective": [m for e in exc.error_dict["valid_to"] for m in e.messages]}
                ) from None
            raise
    try:
        return job_assignment_start(
            actor=actor,
            person=person,
            job_function=job_function,
            valid_from=effective,
            reason=reason,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "valid_from" in exc.error_dict:
            raise ValidationError(
                {"job_function": [m for e in exc.error_dict["valid_from"] for m in e.messages]}
            ) from None
        raise
