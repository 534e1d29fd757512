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

import hashlib
from collections.abc import Callable
from typing import Any

from django.apps import apps

from qualify.audit.registry import register_security_state

USER = "accounts.user"

_expected_permissions: list[Callable[[], dict[str, set[str]]]] = []


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def user_security_state(user: Any) -> dict[str, Any]:
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
