"""The identity providers' configuration as an administrator keeps it on a page
(issue 16): the OpenID Connect and SAML settings, the claim and attribute mappings,
group -> role mapping, allowed domains, the new-users policy and whether local
passwords are kept for break-glass administrators only.

Precedence, for each QUALIFY_* setting: an environment variable of that name (or
NAME_FILE) wins and the page shows it as fixed there; else the value saved on the
page; else the built-in default (Django's setting). `values()` answers "what is in
force", for `config.oidc_config`, `saml.saml_config` and the local-password rule.

Hazards:
- A secret is never stored nor shown: the OIDC client secret is given as the path of
  a file that holds it (QUALIFY_OIDC_CLIENT_SECRET_FILE), read when the configuration
  is built; the page shows only whether the file can be read.
- A value saved here is checked as `oidc_config()` would check it (an unknown role
  in the group mapping, a domain, a choice), so a save cannot leave sign-in broken.
- Each changed setting is one audited change of its row (old and new value, the
  administrator, the reason); a refused change is audited too (A5).
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.accounts.roles import ADMINISTRATOR, ROLES
from qualify.audit import services as audit
from qualify.identity.models import ProviderSetting

SECRET_FILE = "QUALIFY_OIDC_CLIENT_SECRET_FILE"
SECRET = "QUALIFY_OIDC_CLIENT_SECRET"
LOCAL_PASSWORDS = "QUALIFY_LOCAL_PASSWORDS"


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    kind: str  # text, url, path, list, pairs, bool, choice
    section: str  # oidc, saml, policy
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting("QUALIFY_OIDC_ISSUER", "Issuer", "url", "oidc", "Empty turns OpenID Connect off."),
    Setting("QUALIFY_OIDC_CLIENT_ID", "Client id", "text", "oidc"),
    Setting(
        SECRET_FILE,
        "Client secret file",
        "path",
        "oidc",
        "Path of a file on the server holding the client secret; the secret is never "
        "entered or shown here.",
    ),
    Setting("QUALIFY_OIDC_NAME", "Name on the sign-in button", "text", "oidc"),
    Setting("QUALIFY_OIDC_SCOPES", "Scopes", "text", "oidc"),
    Setting("QUALIFY_OIDC_USERNAME_CLAIM", "Claim holding the user id", "text", "oidc"),
    Setting("QUALIFY_OIDC_NAME_CLAIM", "Claim holding the printed name", "text", "oidc"),
    Setting("QUALIFY_OIDC_GROUPS_CLAIM", "Claim holding the groups", "text", "oidc"),
    Setting(
        "QUALIFY_OIDC_ROLE_MAP",
        "Group -> role mapping",
        "pairs",
        "policy",
        "One 'group=role' per line. Used by OpenID Connect and SAML.",
    ),
    Setting(
        "QUALIFY_OIDC_ROLE_PREFIX",
        "Group prefix naming roles",
        "text",
        "policy",
        "A group named prefix+role gives that role (e.g. 'qualify-').",
    ),
    Setting(
        "QUALIFY_OIDC_ALLOWED_DOMAINS",
        "Allowed e-mail domains",
        "list",
        "policy",
        "One per line; empty allows every domain.",
    ),
    Setting(
        "QUALIFY_OIDC_CREATE_USERS",
        "Create an account at first sign-in",
        "bool",
        "policy",
        "Off: accounts come only from an administrator or SCIM provisioning.",
    ),
    Setting(
        LOCAL_PASSWORDS,
        "Local passwords",
        "choice",
        "policy",
        "Who may sign in and sign with a Qualify password.",
        (
            ("everyone", "Everyone"),
            ("administrators", "Break-glass administrators only"),
        ),
    ),
    Setting(
        "QUALIFY_SAML_IDP_METADATA_FILE",
        "Provider metadata file",
        "path",
        "saml",
        "Path of the identity provider's SAML metadata on the server; empty turns SAML off.",
    ),
    Setting(
        "QUALIFY_SAML_SP_ENTITY_ID",
        "Qualify's entity id",
        "text",
        "saml",
        "Empty: the address of Qualify's metadata.",
    ),
    Setting("QUALIFY_SAML_NAME", "Name on the sign-in button", "text", "saml"),
    Setting("QUALIFY_SAML_USERNAME_ATTRIBUTE", "Attribute holding the user id", "text", "saml"),
    Setting("QUALIFY_SAML_NAME_ATTRIBUTE", "Attribute holding the printed name", "text", "saml"),
    Setting("QUALIFY_SAML_EMAIL_ATTRIBUTE", "Attribute holding the e-mail", "text", "saml"),
    Setting("QUALIFY_SAML_GROUPS_ATTRIBUTE", "Attribute holding the groups", "text", "saml"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def from_environment(name: str) -> bool:
    """Is this setting fixed by an environment variable (which then wins)?"""
    if name == SECRET_FILE:
        return any(n in os.environ for n in (SECRET, f"{SECRET}_FILE"))
    return name in os.environ or f"{name}_FILE" in os.environ


def _default(name: str) -> Any:
    if name == SECRET_FILE:
        return ""
    return getattr(settings, name)


def values() -> dict[str, Any]:
    """Every setting in force (environment, else this page, else the default), and
    under SECRET the client secret itself (for the OIDC client only; never shown)."""
    stored = dict(ProviderSetting.objects.values_list("name", "value"))
    result = {}
    for item in SETTINGS:
        if not from_environment(item.name) and item.name in stored:
            result[item.name] = stored[item.name]
        else:
            result[item.name] = _default(item.name)
    if from_environment(SECRET_FILE) or not result[SECRET_FILE]:
        result[SECRET] = settings.QUALIFY_OIDC_CLIENT_SECRET
    else:
        result[SECRET] = _read_secret(result[SECRET_FILE])
    return result


def value(name: str) -> Any:
    """One setting in force (not the secret)."""
    if not from_environment(name):
        stored = ProviderSetting.objects.filter(name=name).values_list("value", flat=True).first()
        if stored is not None:
            return stored
    return _default(name)


def _read_secret(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""  # the provider refuses the client; the page says the file is unreadable


def role_pairs(items: list[str], label: str = "QUALIFY_OIDC_ROLE_MAP") -> list[tuple[str, str]]:
    """'group=role' items as pairs; ValueError naming the bad item or unknown role."""
    pairs = []
    for item in items:
        group, sep, role = str(item).rpartition("=")
        if not sep or not group.strip():
            raise ValueError(f"{label}: {item!r} is not 'group=role'")
        if role.strip() not in ROLES:
            raise ValueError(
                f"{label}: {role.strip()!r} is not a role ({', '.join(sorted(ROLES))})"
            )
        pairs.append((group.strip(), role.strip()))
    return pairs


@dataclass(frozen=True)
class Row:
    """One setting as the page shows it."""

    setting: Setting
    value: Any
    source: str  # "environment", "this page", "default"
    note: str = ""


def overview() -> list[Row]:
    """What the page shows: each setting, its value in force and where it comes
    from. The secret itself is never part of it."""
    stored = dict(ProviderSetting.objects.values_list("name", "value"))
    rows = []
    for item in SETTINGS:
        if from_environment(item.name):
            value = _default(item.name) if item.name != SECRET_FILE else ""
            source = "environment"
        elif item.name in stored:
            value, source = stored[item.name], "this page"
        else:
            value, source = _default(item.name), "default"
        note = ""
        if item.name == SECRET_FILE:
            if source == "environment":
                note = "The client secret is set in the environment."
            elif value:
                readable = Path(value).is_file() and os.access(value, os.R_OK)
                note = "The file can be read." if readable else "The file cannot be read."
        rows.append(Row(item, value, source, note))
    return rows


def _clean(item: Setting, raw: Any) -> Any:
    """The value to store, checked as the configuration will use it."""
    if item.kind == "bool":
        return bool(raw)
    if item.kind in ("list", "pairs"):
        lines = raw if isinstance(raw, list) else str(raw or "").replace(",", "\n").splitlines()
        items = [line.strip() for line in lines if line.strip()]
        if item.kind == "pairs":
            try:
                role_pairs(items)
            except ValueError as error:
                raise ValidationError({item.name: str(error)}) from None
        else:
            items = [d.lower().lstrip("@") for d in items]
            bad = [d for d in items if "." not in d or " " in d or "/" in d]
            if bad:
                raise ValidationError({item.name: f"Not a domain: {', '.join(bad)}."})
        return items
    text = str(raw or "").strip()
    if item.kind == "choice" and text not in dict(item.choices):
        raise ValidationError({item.name: f"Choose one of {', '.join(dict(item.choices))}."})
    if item.kind == "url" and text:
        url = urlparse(text)
        loopback = url.hostname in ("localhost", "127.0.0.1", "::1")
        if url.scheme != "https" and not (url.scheme == "http" and loopback):
            raise ValidationError({item.name: "The issuer is an https address."})
    if item.kind == "path" and text and not Path(text).is_absolute():
        raise ValidationError({item.name: "Give an absolute path on the server."})
    if len(text) > 2000:
        raise ValidationError({item.name: "Too long."})
    return text


def _refuse(actor: Any, why: str) -> None:
    audit.record_refusal(
        "identity.settings.refused",
        actor=actor,
        why=why,
        object_type="identity.providersetting",
        object_id="providers",
    )


def settings_update(*, actor: Any, changes: dict[str, Any], reason: str) -> list[str]:
    """Save the administrator's changes (names of SETTINGS -> new values); return the
    names that changed. Only an administrator; a reason is required; a setting fixed
    by the environment cannot be changed here."""
    if actor is None or not actor.groups.filter(name=ADMINISTRATOR).exists():
        _refuse(actor, "Only an administrator configures the identity providers.")
        raise PermissionDenied("Only an administrator configures the identity providers.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the identity provider settings change."})
    cleaned = {}
    for name, raw in changes.items():
        item = BY_NAME.get(name)
        if item is None:
            raise ValidationError(f"{name} is not an identity provider setting.")
        if from_environment(name):
            why = f"{name} is set in the environment, which takes precedence; change it there."
            _refuse(actor, why)
            raise ValidationError({name: why})
        cleaned[name] = _clean(item, raw)
    current = {row.setting.name: row.value for row in overview()}
    changed = []
    with transaction.atomic():
        for name, value in cleaned.items():
            if value == current[name]:
                continue
            row = ProviderSetting.objects.select_for_update().filter(name=name).first()
            now = timezone.now()
            if row is None:
                row = ProviderSetting.objects.create(
                    name=name, value=value, changed_at=now, changed_by=actor
                )
                audit.record(
                    "identity.settings.changed",
                    row,
                    actor=actor,
                    reason=reason,
                    detail={"setting": name, "old": current[name], "new": value},
                )
            else:
                before = audit.state_of(row)
                row.value, row.changed_at, row.changed_by = value, now, actor
                row.save(update_fields=["value", "changed_at", "changed_by"])
                audit.record(
                    "identity.settings.changed",
                    row,
                    actor=actor,
                    before=before,
                    reason=reason,
                    detail={"setting": name, "old": current[name], "new": value},
                )
            changed.append(name)
    return changed
