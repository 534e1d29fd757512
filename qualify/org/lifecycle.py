"""Organisation structure over time: create, rename and retire sites, departments,
clients, frameworks and job functions. Never deleted (A1, G6): a retired row stays for
the history that names it and is offered no more for new use.

Hazards:
- Codes are unique whatever their letter case; the check here gives the field-level
  message, the database constraint (models.code_unique_ci) holds under races.
- Retiring something still in use is refused with what uses it. "In use" is read from
  the reverse relations of the row, so a later app's rows count without this module
  importing it (lower layers never import higher ones): a related row counts while it
  is active (`active`), open (`valid_to`), not obsolete (`obsolete_from`) or in an
  open state (`status`); rows with none of these are history and never block.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from qualify.audit import services as audit
from qualify.guards import require_perm, require_reason
from qualify.org.models import Client, ClientAccess, Department, Framework, JobFunction, Site
from qualify.org.scoping import check_client

# Workflow states in which a related record still depends on what it names.
OPEN_STATES = {"open", "draft", "approved", "in_review", "awaiting_verification", "pending"}

SITE_FIELDS = {
    "name",
    "time_zone",
    "gate_policy",
    "allow_untrained_documents",
    "late_entry_hours",
}
NAMED_FIELDS = {"name"}

PERMS = {
    Site: ("org.change_site", "Only an administrator can change sites."),
    Department: ("org.change_department", "Only an administrator can change departments."),
    Client: ("org.change_client", "Only an administrator can change clients."),
    Framework: ("org.change_framework", "Only an administrator can change frameworks."),
    JobFunction: (
        "org.change_jobfunction",
        "Only a training coordinator can change job functions.",
    ),
}

NOUNS = {Site: "site", Department: "department", Client: "client", Framework: "framework"}


def check_code_free(model: type[Model], code: str, *, exclude: Any = None, **scope: Any) -> str:
    """The stripped code, or a field error naming the row that already has it
    (letter case ignored, retired rows included: a code is never reused)."""
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": "Give a code."})
    rows = model.objects.filter(code__iexact=code, **scope)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    existing = rows.first()
    if existing is not None:
        retired = "" if getattr(existing, "active", True) else " (retired)"
        raise ValidationError(
            {"code": f"The code {code} is already used by {existing}{retired}; choose another."}
        )
    return code


def uses_of(obj: Model) -> list[str]:
    """What still uses `obj`, in words ("2 people", "1 job function"); empty if nothing."""
    now = timezone.now()
    found = []
    if isinstance(obj, Client):
        n = ClientAccess.objects.filter(client=obj).count()
        if n:
            found.append(f"{n} user{'s' if n != 1 else ''} restricted to it")
    relations = [
        f
        for f in obj._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.many_to_many)
    ]
    for rel in relations:
        model = rel.related_model
        names = {f.name for f in model._meta.get_fields()}
        if "active" in names:
            condition = Q(active=True)
        elif "valid_to" in names:
            condition = Q(valid_to__isnull=True) | Q(valid_to__gt=now)
        elif "obsolete_from" in names:
            condition = Q(obsolete_from__isnull=True)
        elif "status" in names:
            condition = Q(status__in=OPEN_STATES)
        else:
            continue  # history (or a link table): it named obj once and still will
        # Asked from the related model's side, so relations without a reverse
        # accessor (related_name="+") count too.
        n = model._default_manager.filter(condition, **{rel.field.name: obj}).count()
        if n:
            meta = model._meta
            found.append(f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}")
    return found


def _require(actor: Any, model: type[Model]) -> None:
    permission, message = PERMS[model]
    require_perm(actor, permission, message=message)


def _change(
    *, actor: Any, obj: Model, reason: str, fields: dict[str, Any], allowed: set[str], action: str
) -> Model:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    reason = require_reason(reason)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    before = audit.state_of(obj)
    for name, value in fields.items():
        setattr(obj, name, value.strip() if isinstance(value, str) else value)
    obj.full_clean()
    obj.save()
    audit.record(action, obj, actor=actor, before=before, reason=reason)
    return obj


def _retire(*, actor: Any, obj: Model, reason: str, action: str, noun: str) -> Model:
    reason = require_reason(reason)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    if not obj.active:
        raise ValidationError(f"The {noun} {obj} was already retired.")
    uses = uses_of(obj)
    if uses:
        raise ValidationError(
            f"The {noun} {obj} is still in use by {', '.join(uses)}; retire or move those first."
        )
    before = audit.state_of(obj)
    obj.active = False
    obj.retired_at = timezone.now()
    obj.save()
    audit.record(action, obj, actor=actor, before=before, reason=reason)
    return obj


# --- sites ---------------------------------------------------------------------


@transaction.atomic
def site_update(*, actor: Any, site: Site, reason: str, **fields: Any) -> Site:
    """Rename a site or change its time zone, gate policy (E1) or late-entry hours
    (T1), with a reason (A1)."""
    _require(actor, Site)
    return _change(
        actor=actor,
        obj=site,
        reason=reason,
        fields=fields,
        allowed=SITE_FIELDS,
        action="org.site.updated",
    )


@transaction.atomic
def site_retire(*, actor: Any, site: Site, reason: str) -> Site:
    _require(actor, Site)
    return _retire(actor=actor, obj=site, reason=reason, action="org.site.retired", noun="site")


# --- departments -----------------------------------------------------------------


@transaction.atomic
def department_update(
    *, actor: Any, department: Department, reason: str, **fields: Any
) -> Department:
    _require(actor, Department)
    return _change(
        actor=actor,
        obj=department,
        reason=reason,
        fields=fields,
        allowed=NAMED_FIELDS,
        action="org.department.updated",
    )


@transaction.atomic
def department_retire(*, actor: Any, department: Department, reason: str) -> Department:
    _require(actor, Department)
    return _retire(
        actor=actor,
        obj=department,
        reason=reason,
        action="org.department.retired",
        noun="department",
    )


# --- clients ---------------------------------------------------------------------


@transaction.atomic
def client_update(*, actor: Any, client: Client, reason: str, **fields: Any) -> Client:
    _require(actor, Client)
    check_client(actor, client.pk)
    return _change(
        actor=actor,
        obj=client,
        reason=reason,
        fields=fields,
        allowed=NAMED_FIELDS,
        action="org.client.updated",
    )


@transaction.atomic
def client_retire(*, actor: Any, client: Client, reason: str) -> Client:
    _require(actor, Client)
    check_client(actor, client.pk)
    return _retire(
        actor=actor, obj=client, reason=reason, action="org.client.retired", noun="client"
    )


# --- frameworks (not an audited model: events name it by type and id) -----------


def _framework_event(action: str, framework: Framework, *, actor: Any, reason: str, detail):
    audit.record(
        action,
        object_type="org.framework",
        object_id=framework.pk,
        actor=actor,
        reason=reason,
        detail=detail,
    )


@transaction.atomic
def framework_update(*, actor: Any, framework: Framework, reason: str, name: str) -> Framework:
    _require(actor, Framework)
    reason = require_reason(reason)
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    old = framework.name
    framework.name = (name or "").strip()
    framework.full_clean()
    framework.save()
    _framework_event(
        "org.framework.updated",
        framework,
        actor=actor,
        reason=reason,
        detail={"code": framework.code, "name": [old, framework.name]},
    )
    return framework


@transaction.atomic
def framework_retire(*, actor: Any, framework: Framework, reason: str) -> Framework:
    _require(actor, Framework)
    reason = require_reason(reason)
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if not framework.active:
        raise ValidationError(f"The framework {framework} was already retired.")
    uses = uses_of(framework)
    if uses:
        raise ValidationError(
            f"The framework {framework} is still in use by {', '.join(uses)}; "
            "remove it from those first."
        )
    framework.active = False
    framework.retired_at = timezone.now()
    framework.save()
    _framework_event(
        "org.framework.retired",
        framework,
        actor=actor,
        reason=reason,
        detail={"code": framework.code, "active": [True, False]},
    )
    return framework


# --- job functions -----------------------------------------------------------------


@transaction.atomic
def job_function_retire(*, actor: Any, job_function: JobFunction, reason: str) -> JobFunction:
    """Retire a job function nobody holds and no matrix entry requires any more."""
    _require(actor, JobFunction)
    check_client(actor, job_function.client_id)
    return _retire(
        actor=actor,
        obj=job_function,
        reason=reason,
        action="org.job_function.retired",
        noun="job function",
    )
