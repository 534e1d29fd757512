"""Security-relevant state in the record check (A6).

A database-write attacker's shortest path is not a GxP record but who may sign one:
a role granted, a client restriction lifted, a password hash replaced, an
authenticator added. From format 2 on, the record hash of a user covers these, read
through the ORM by relation name (the audit layer imports no higher app):

* roles: the user's groups;
* clients: the codes of the clients the user is restricted to;
* password: SHA-256 of the stored password hash (never the hash itself);
* otp: each TOTP device's id, whether confirmed, and SHA-256 of its secret.

Every event naming a user (a login, a password change, a client access grant, an
enrolment) carries the user's hash as it is after the change, so only a change made
outside the services is reported. Group permissions are checked separately against
what the roles grant (``expected_group_permissions`` registered by the accounts app).
"""

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import connection

from qualify.audit.registry import register_security_state

USER = "accounts.user"

_expected_permissions: list[Callable[[], dict[str, set[str]]]] = []


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def user_security_state(user: Any) -> dict[str, Any]:
    """The user's security state. Verification prefetches the relations for every user
    at once (``register``) and this reads them from the prefetch; an append (one user)
    reads them with one SQL statement (``_state_sql``), not three ORM queries, since
    every event naming a user pays for it. Both give the same state (tested)."""
    if "groups" not in getattr(user, "_prefetched_objects_cache", {}):
        return _user_security_state_sql(user)
    state: dict[str, Any] = {
        "roles": sorted(group.name for group in user.groups.all()),
        "password": _digest(user.password or ""),
    }
    if hasattr(user, "client_access"):
        state["clients"] = sorted(access.client.code for access in user.client_access.all())
    if hasattr(user, "totpdevice_set"):
        state["otp"] = sorted(
            [device.pk, bool(device.confirmed), _digest(device.key or "")]
            for device in user.totpdevice_set.all()
        )
    return state


@functools.cache
def _state_sql(vendor: str) -> tuple[str, int, bool, bool]:
    """(SQL, number of user id parameters, has client access, has TOTP devices): one
    UNION ALL over the user's groups, client codes and TOTP devices, with table and
    column names taken from the models (the audit layer imports no higher app)."""
    quote = connection.ops.quote_name
    # Typed, or PostgreSQL resolves the first SELECT's NULLs as text for the whole UNION.
    untyped = "CAST(NULL AS VARCHAR(255)), CAST(NULL AS INTEGER)"
    user_model = apps.get_model("accounts", "User")
    related = {rel.get_accessor_name(): rel for rel in user_model._meta.related_objects}
    groups = user_model._meta.get_field("groups")
    group_model = groups.related_model
    parts = [
        f"SELECT 'r', g.{quote('name')}, {untyped}"
        f" FROM {quote(groups.m2m_db_table())} x"
        f" JOIN {quote(group_model._meta.db_table)} g"
        f" ON g.{quote(group_model._meta.pk.column)} = x.{quote(groups.m2m_reverse_name())}"
        f" WHERE x.{quote(groups.m2m_column_name())} = %s"
    ]
    has_clients = "client_access" in related
    if has_clients:
        access = related["client_access"].related_model
        client_fk = access._meta.get_field("client")
        client = client_fk.related_model
        parts.append(
            f"SELECT 'c', c.{quote(client._meta.get_field('code').column)}, {untyped}"
            f" FROM {quote(access._meta.db_table)} a"
            f" JOIN {quote(client._meta.db_table)} c"
            f" ON c.{quote(client._meta.pk.column)} = a.{quote(client_fk.column)}"
            f" WHERE a.{quote(related['client_access'].field.column)} = %s"
        )
    has_otp = "totpdevice_set" in related
    if has_otp:
        device = related["totpdevice_set"].related_model
        parts.append(
            f"SELECT 'o', CAST(d.{quote(device._meta.pk.column)} AS VARCHAR(20)),"
            f" d.{quote(device._meta.get_field('key').column)},"
            f" CASE WHEN d.{quote(device._meta.get_field('confirmed').column)} THEN 1 ELSE 0 END"
            f" FROM {quote(device._meta.db_table)} d"
            f" WHERE d.{quote(related['totpdevice_set'].field.column)} = %s"
        )
    return " UNION ALL ".join(parts), len(parts), has_clients, has_otp


def _user_security_state_sql(user: Any) -> dict[str, Any]:
    sql, count, has_clients, has_otp = _state_sql(connection.vendor)
    roles, clients, otp = [], [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk] * count)
        for kind, text, key, confirmed in cursor.fetchall():
            if kind == "r":
                roles.append(text)
            elif kind == "c":
                clients.append(text)
            else:
                otp.append([int(text), bool(confirmed), _digest(key or "")])
    state: dict[str, Any] = {"roles": sorted(roles), "password": _digest(user.password or "")}
    if has_clients:
        state["clients"] = sorted(clients)
    if has_otp:
        state["otp"] = sorted(otp)
    return state


def register() -> None:
    prefetch = ["groups"]
    model = apps.get_model("accounts", "User") if apps.is_installed("qualify.accounts") else None
    if model is not None:
        names = {rel.get_accessor_name() for rel in model._meta.related_objects}
        if "client_access" in names:
            prefetch.append("client_access__client")
        if "totpdevice_set" in names:
            prefetch.append("totpdevice_set")
    register_security_state(USER, user_security_state, tuple(prefetch))


def expect_group_permissions(provider: Callable[[], dict[str, set[str]]]) -> None:
    """Register what each role's group must grant ({group: {"app.codename", ...}});
    verification names every group whose live permissions differ."""
    _expected_permissions.append(provider)


def group_permission_problems() -> list[str]:
    if not _expected_permissions:
        return []
    group_model = apps.get_model("auth", "Group")
    live = {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in group_model.objects.prefetch_related("permissions__content_type")
    }
    permission_model = apps.get_model("auth", "Permission")
    existing = {
        f"{app}.{codename}"
        for app, codename in permission_model.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    found = []
    for provider in _expected_permissions:
        for name, wanted in sorted(provider().items()):
            # As sync_role_permissions grants: only permissions that exist.
            wanted = wanted & existing
            have = live.get(name, set())
            extra, missing = sorted(have - wanted), sorted(wanted - have)
            if extra or missing:
                parts = []
                if extra:
                    parts.append("grants " + ", ".join(extra) + " that its role does not")
                if missing:
                    parts.append("lacks " + ", ".join(missing))
                found.append(f"auth.group:{name}: the role's group {' and '.join(parts)}")
    return found
