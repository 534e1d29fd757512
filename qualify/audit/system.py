"""System history: every upgrade and every change of the security-relevant settings
is an audit event (Annex 11 §10 change control, A6), so the trail tells the software
version, the migrations and the configuration in force at any date.

- `system.upgraded` is recorded at each `qualify migrate` that applies migrations or
  runs a new version, with the old and new version, the SHA-256 of the runtime lock
  (requirements/base.txt, P61) and the migrations applied
  (post_migrate, connected once in AuditConfig.ready()).
- `system.settings_changed` is recorded when the security-relevant settings differ
  from the last recorded ones: checked at migrate and when the scheduler starts.

Hazard: a fresh database (an empty trail, as when the test database is created) is
not a running system yet: nothing is recorded until its trail holds an event, so the
first recorded state is the one seen at the first migrate or start after that.
Secrets are never recorded, only whether they are set.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from qualify.audit import services as audit
from qualify.audit.models import AuditEvent

UPGRADED = "system.upgraded"
SETTINGS_CHANGED = "system.settings_changed"
OBJECT = ("system", "qualify")

# What an inspector asks about the configuration: authentication, sessions, transport,
# the audit trail's keys and witnesses, the gate and time tolerances, the bounds.
SECURITY_SETTINGS = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "PASSWORD_HASHERS",
    "AUTH_PASSWORD_VALIDATORS",
    "QUALIFY_PASSWORD_MAX_AGE_DAYS",
    "QUALIFY_PASSWORD_HISTORY",
    "QUALIFY_PASSWORD_LINK_HOURS",
    "QUALIFY_LOCKOUT_THRESHOLD",
    "QUALIFY_IDLE_MINUTES",
    "SESSION_COOKIE_AGE",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "QUALIFY_MAX_UPLOAD_MB",
    "QUALIFY_CLOCK_SKEW_SECONDS",
    "QUALIFY_CHECKPOINT_ORIGIN",
    "QUALIFY_VERIFIER_KEY",
    "QUALIFY_CHECKPOINT_LOG",
    "QUALIFY_AUDIT_WITNESSES",
    "QUALIFY_AUDIT_TIME_ALLOWANCE_SECONDS",
    "QUALIFY_AUDIT_REVIEW_DAYS",
)


def software_version() -> str:
    """The running code's semantic version (qualify.__version__, P61). The installed
    distribution's metadata can lag behind an editable install; IQ compares both."""
    import qualify

    return getattr(qualify, "__version__", "") or _installed_version()


def _installed_version() -> str:
    try:
        return importlib.metadata.version("qualify")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        return "unknown"


def lock_hash() -> str:
    """SHA-256 of the runtime lock (requirements/base.txt) of the source the code runs
    from, or "not available" for an installation without its source beside it."""
    import qualify

    path = Path(qualify.__file__).resolve().parent.parent / "requirements" / "base.txt"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "not available"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def security_settings() -> dict[str, Any]:
    out = {name: _plain(getattr(settings, name, None)) for name in SECURITY_SETTINGS}
    out["SECRET_KEY"] = "set" if getattr(settings, "SECRET_KEY", "") else "not set"
    return out


def _last(action: str) -> dict[str, Any] | None:
    event = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    return event.data.get("detail") if event else None


def _in_use() -> bool:
    return AuditEvent.objects.exists()


def record_upgrade(*, migrations: list[str], version: str | None = None) -> int | None:
    """Record an upgrade when migrations were applied or the version changed."""
    if not _in_use():
        return None
    version = version or software_version()
    last = _last(UPGRADED) or {}
    old = last.get("new_version", "")
    if not migrations and old == version:
        return None
    with transaction.atomic():
        return audit.record(
            UPGRADED,
            object_type=OBJECT[0],
            object_id=OBJECT[1],
            actor=None,
            detail={
                "old_version": old or "not recorded",
                "new_version": version,
                "lock_sha256": lock_hash(),
                "migrations": sorted(migrations),
            },
        )


def record_settings() -> int | None:
    """Record the security-relevant settings when they differ from the last recorded."""
    if not _in_use():
        return None
    now = security_settings()
    last = _last(SETTINGS_CHANGED)
    before = (last or {}).get("settings")
    if before == now:
        return None
    changed = sorted(k for k in now if (before or {}).get(k, None) != now[k])
    with transaction.atomic():
        return audit.record(
            SETTINGS_CHANGED,
            object_type=OBJECT[0],
            object_id=OBJECT[1],
            actor=None,
            detail={
                "settings": now,
                "changed": changed,
                "old": {k: (before or {}).get(k) for k in changed} if before else {},
            },
        )


def on_post_migrate(*, plan=None, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: once per `migrate` (connected for the audit app only). A flush
    sends no plan and records nothing."""
    if plan is None:
        return
    from qualify.audit.context import audit_context

    applied = [f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards]
    with audit_context(source="cli"):
        record_upgrade(migrations=applied)
        record_settings()
