"""SCIM 2.0 provisioning (RFC 7643/7644; issue 16) through the account and
organisation services, so every change is audited with the provisioning client's
service account as actor and every rule of a change made on a page holds.

- A user is an account (never deleted, U1) and, when the provider sends an employee
  number (the enterprise extension), the person behind it (org.Person).
- Deprovisioning (`active: false`, as Entra ID and Okta send it; or DELETE)
  deactivates the account and ends the person's employment at the given time
  (`leftAt` of the Qualify employment extension, default now) with a reason
  (`reason`, default naming the client); nothing is deleted. The same extension's
  `employedFrom` dates a hire the provider reports late.
- A PATCH that would delete the user (remove of the user name, or of the whole
  resource) is refused, audited, with the reason.
- Groups are Qualify's roles (displayName = role code); membership changes go
  through `user_set_roles`, so U3 holds for provisioning as for an administrator.
"""

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from qualify.accounts.models import User
from qualify.accounts.roles import ADMINISTRATOR, ROLES
from qualify.accounts.services import (
    user_create,
    user_deactivate,
    user_reactivate,
    user_set_roles,
    user_update_profile,
)
from qualify.audit import services as audit
from qualify.edge import whole_number
from qualify.identity.models import ExternalIdentity, ScimClient
from qualify.org import services as org
from qualify.org.models import Person, Site

log = logging.getLogger("qualify.identity.scim")

TOKEN_PREFIX = "scim_"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
EMPLOYMENT = "urn:qualify:params:scim:schemas:extension:employment:2.0:User"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


class ScimError(Exception):
    """An SCIM error response: HTTP status, scimType and detail (RFC 7644 §3.12)."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def client_create(*, name: str) -> tuple[ScimClient, str]:
    """A provisioning client with its service account and bearer token (shown once).
    The account manages accounts (administrator role) and people (the one permission
    `org.manage_people`, given directly: the coordinator's role would also let it sign,
    and U3 refuses the administrator role beside a signing role)."""
    name = (name or "").strip()
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValidationError({"name": "Use letters, digits, - and _ for the client name."})
    user = user_create(
        actor=None,
        username=f"scim-{name}",
        printed_name=f"SCIM provisioning {name}",
        roles=[ADMINISTRATOR],
        is_service_account=True,
    )
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="org", codename="manage_people")
    )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ScimClient.objects.create(
        name=name, user=user, token_hash=_hash(raw), prefix=raw[:10], created_at=timezone.now()
    )
    audit.record(
        "identity.provisioning_account.created",
        user,
        actor=None,
        detail={
            "scim_client": name,
            "permissions": ["org.manage_people"],
            "roles": [ADMINISTRATOR],
        },
    )
    return client, raw


def client_for(raw: str) -> ScimClient | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    client = ScimClient.objects.select_related("user").filter(token_hash=_hash(raw)).first()
    if client is None or client.revoked_at is not None or not client.user.is_active:
        return None
    return client


def provider_of(client: ScimClient) -> str:
    """The provider name under which SCIM records externalId as the stable subject;
    the same name as OpenID Connect sign-in uses, so a provisioned account is linked
    before its first sign-in."""
    return "oidc"


# --- representation -------------------------------------------------------------


def user_resource(user: User, base: str) -> dict[str, Any]:
    person = Person.objects.filter(user=user).select_related("site", "department").first()
    link = ExternalIdentity.objects.filter(user=user).first()
    data: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": str(user.pk),
        "userName": user.username,
        "displayName": user.printed_name,
        "name": {"formatted": user.printed_name},
        "active": user.is_active,
        "emails": [{"value": user.email, "primary": True, "type": "work"}] if user.email else [],
        "groups": [{"value": str(g.pk), "display": g.name} for g in user.groups.order_by("name")],
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "location": f"{base}/Users/{user.pk}",
        },
    }
    if link is not None:
        data["externalId"] = link.subject
    if person is not None:
        data[ENTERPRISE] = {
            "employeeNumber": person.employee_number,
            "organization": person.site.code,
            **({"department": person.department.code} if person.department else {}),
        }
        if person.left_at is not None:
            data[EMPLOYMENT] = {"leftAt": person.left_at.isoformat()}
    return data


def group_resource(group: Group, base: str) -> dict[str, Any]:
    return {
        "schemas": [GROUP_SCHEMA],
        "id": str(group.pk),
        "displayName": group.name,
        "members": [
            {"value": str(u.pk), "display": u.username}
            for u in group.user_set.filter(is_service_account=False).order_by("pk")
        ],
        "meta": {"resourceType": "Group", "location": f"{base}/Groups/{group.pk}"},
    }


# --- users -------------------------------------------------------------------------


def _primary_email(data: dict) -> str:
    emails = data.get("emails") or []
    if not isinstance(emails, list):
        raise ScimError(400, "emails must be a list.", "invalidValue")
    primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None)
    first = primary or next((e for e in emails if isinstance(e, dict)), None)
    return str(first.get("value", "")) if first else ""


def _display_name(data: dict) -> str:
    name = data.get("name") if isinstance(data.get("name"), dict) else {}
    return str(
        data.get("displayName")
        or name.get("formatted")
        or " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
        or data.get("userName")
        or ""
    ).strip()


def _site(code: str) -> Site:
    if code:
        site = Site.objects.filter(code__iexact=code).first()
        if site is None:
            raise ScimError(
                400, f"No site with code {code!r} (enterprise organization).", "invalidValue"
            )
        return site
    sites = list(Site.objects.all()[:2])
    if len(sites) != 1:
        raise ScimError(
            400,
            "Name the person's site in the enterprise extension's organization attribute.",
            "invalidValue",
        )
    return sites[0]


def _as_validation(error: ValidationError) -> ScimError:
    return ScimError(400, " ".join(error.messages), "invalidValue")


def user_create_from_scim(*, client: ScimClient, data: dict) -> User:
    actor = client.user
    username = str(data.get("userName") or "").strip()
    if not username:
        raise ScimError(400, "userName is required.", "invalidValue")
    if User.objects.filter(username__iexact=username).exists():
        raise ScimError(409, f"The user id {username!r} exists and is never reused.", "uniqueness")
    external = str(data.get("externalId") or "").strip()
    enterprise = data.get(ENTERPRISE) or {}
    try:
        with transaction.atomic():
            user = user_create(
                actor=actor,
                username=username,
                printed_name=_display_name(data),
                email=_primary_email(data),
            )
            if external:
                ExternalIdentity.objects.create(
                    provider=provider_of(client),
                    subject=external,
                    user=user,
                    linked_at=timezone.now(),
                )
                audit.record(
                    "identity.linked",
                    user,
                    actor=actor,
                    detail={
                        "provider": provider_of(client),
                        "subject": external,
                        "how": "SCIM externalId",
                    },
                )
            number = str(enterprise.get("employeeNumber") or "").strip()
            employment = data.get(EMPLOYMENT) or {}
            employed_from = _aware(employment.get("employedFrom"), "employedFrom")
            if number:
                org.person_create(
                    actor=actor,
                    employee_number=number,
                    full_name=user.printed_name,
                    email=user.email,
                    site=_site(str(enterprise.get("organization") or "")),
                    user=user,
                    employed_from=employed_from,
                )
            if data.get("active") is False:
                _deprovision(client, user, data)
    except ValidationError as error:
        raise _as_validation(error) from None
    return user


def _refuse(client: ScimClient, user: User | None, why: str, **detail: Any) -> ScimError:
    log.warning("SCIM change refused (client %s): %s", client.name, why)
    audit.record_refusal(
        "identity.scim.refused",
        actor=client.user,
        why=why,
        obj=user,
        object_type=None if user else "identity.scim",
        object_id=None if user else client.name,
        detail=detail,
    )
    return ScimError(400, why, "mutability")


def _aware(value: Any, name: str) -> dt.datetime | None:
    if not value:
        return None
    when = parse_datetime(str(value))
    if when is None or when.tzinfo is None:
        raise ScimError(400, f"{name} must be a date and time with its UTC offset.", "invalidValue")
    return when


def _leaving(client: ScimClient, data: dict) -> tuple[dt.datetime | None, str]:
    leaving = data.get(EMPLOYMENT) or {}
    left_at = _aware(leaving.get("leftAt"), "leftAt")
    reason = (
        str(leaving.get("reason") or "").strip() or f"Deprovisioned by SCIM client {client.name}"
    )
    return left_at, reason


def _deprovision(client: ScimClient, user: User, data: dict) -> None:
    """Deactivate the account and end the person's employment; never delete."""
    left_at, reason = _leaving(client, data)
    actor = client.user
    if user.is_active:
        user_deactivate(actor=actor, user=user, reason=reason)
    person = Person.objects.filter(user=user, active=True).first()
    if person is not None:
        org.person_deactivate(actor=actor, person=person, reason=reason, left_at=left_at)


def _apply(client: ScimClient, user: User, changes: dict) -> None:
    """Apply attribute values (from PUT or PATCH replace/add) through the services."""
    actor = client.user
    reason = f"SCIM client {client.name}"
    if "userName" in changes and str(changes["userName"]).strip().lower() != user.username.lower():
        raise _refuse(
            client, user, "A user id is never changed or reused (U1).", attribute="userName"
        )
    profile = {}
    if any(k in changes for k in ("displayName", "name")):
        profile["printed_name"] = _display_name({**changes, "userName": user.username})
    if "emails" in changes:
        profile["email"] = _primary_email(changes)
    if profile:
        user_update_profile(actor=actor, user=user, reason=reason, **profile)
    if "active" in changes:
        active = changes["active"]
        if isinstance(active, str):
            active = active.strip().lower() == "true"  # Entra ID sends "False" as text
        if active is False:
            _deprovision(client, user, changes)
        elif active is True and not user.is_active:
            user_reactivate(actor=actor, user=user, reason=reason)


def user_replace(*, client: ScimClient, user: User, data: dict) -> User:
    try:
        with transaction.atomic():
            _apply(client, user, data)
    except ValidationError as error:
        raise _as_validation(error) from None
    user.refresh_from_db()
    return user


def user_patch(*, client: ScimClient, user: User, operations: Any) -> User:
    """PATCH as Entra ID and Okta send it: replace/add with or without a path,
    `active` as a boolean or as the text "False"."""
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    changes: dict[str, Any] = {}
    for op in operations:
        if not isinstance(op, dict):
            raise ScimError(400, "Each operation is an object.", "invalidSyntax")
        kind = str(op.get("op", "")).lower()
        path = op.get("path")
        value = op.get("value")
        if kind == "remove":
            raise _refuse(
                client,
                user,
                f"Removing {path or 'the user'} would delete the user; accounts are never "
                "deleted, only deactivated (send active=false).",
                operation=op,
            )
        if kind not in ("replace", "add"):
            raise ScimError(400, f"Unknown PATCH op {op.get('op')!r}.", "invalidSyntax")
        if path:
            if path.startswith(ENTERPRISE + ":") or path.startswith(EMPLOYMENT + ":"):
                schema, _, attr = path.rpartition(":")
                changes.setdefault(schema, {})[attr] = value
            elif path == "name.formatted":
                changes["name"] = {"formatted": value}
            elif path.startswith("emails"):
                changes["emails"] = (
                    [{"value": value, "primary": True}] if isinstance(value, str) else value
                )
            else:
                changes[path] = value
        elif isinstance(value, dict):
            changes.update(value)
        else:
            raise ScimError(400, "A PATCH without a path needs an object value.", "invalidSyntax")
    return user_replace(client=client, user=user, data=changes)


def user_delete(*, client: ScimClient, user: User) -> User:
    """DELETE deprovisions: the account is deactivated and the person's employment
    ended; the record stays (U1)."""
    return user_replace(client=client, user=user, data={"active": False})


# --- groups (roles) ------------------------------------------------------------------


def group_for_name(client: ScimClient, name: str) -> Group:
    if name not in ROLES:
        raise _refuse(
            client,
            None,
            f"{name!r} is not a Qualify role ({', '.join(sorted(ROLES))}).",
            group=name,
        )
    return Group.objects.get(name=name)


def group_patch(*, client: ScimClient, group: Group, operations: Any) -> Group:
    """Members added or removed: each member's roles change through user_set_roles."""
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    for op in operations:
        kind = str(op.get("op", "")).lower() if isinstance(op, dict) else ""
        path = str(op.get("path") or "")
        value = op.get("value")
        if kind == "remove" and path.startswith("members[") and "value eq" in path:
            ids = [path.split('"')[1]]
        elif kind in ("add", "remove", "replace") and (path in ("members", "") or path is None):
            items = value.get("members") if isinstance(value, dict) else value
            ids = [str(m.get("value")) for m in (items or []) if isinstance(m, dict)]
        elif kind == "replace" and path == "displayName":
            if value != group.name:
                raise _refuse(
                    client, None, "A role's name is not changed by provisioning.", group=group.name
                )
            continue
        else:
            raise ScimError(400, f"Unsupported group operation {op!r}.", "invalidSyntax")
        for user in User.objects.filter(
            pk__in=[n for n in map(whole_number, ids) if n is not None]
        ).order_by("pk"):
            roles = set(user.groups.values_list("name", flat=True))
            if kind == "remove":
                roles.discard(group.name)
            else:
                roles.add(group.name)
            try:
                user_set_roles(
                    actor=client.user,
                    user=user,
                    roles=sorted(roles),
                    reason=f"SCIM client {client.name}: group {group.name} {kind}",
                )
            except ValidationError as error:
                raise ScimError(400, " ".join(error.messages), "invalidValue") from None
    return group
