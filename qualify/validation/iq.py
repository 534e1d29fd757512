"""IQ (P60): is the installation what the release says it is? Each item passes or
fails on its own, with what was found and what was expected.

Installed distributions against the lock: requirements/base.txt pins every runtime
distribution with the hashes of its files on the index, which pip checked at install
(`--require-hashes`); an installed distribution keeps no copy of that archive's hash,
so IQ checks what it can on the machine: each pinned distribution is installed at the
pinned version, and every file it installed still has the SHA-256 its RECORD states
(a file changed after installation fails). The lock file's own SHA-256 is reported
and recorded with the system.upgraded event.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import platform
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from qualify.validation import releases

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass
class Check:
    id: str
    title: str
    ok: bool
    found: str
    expected: str


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[_norm(match[1])] = match[2]
    return pins


def record_problems(dist: importlib.metadata.Distribution) -> list[str]:
    """Files of an installed distribution whose SHA-256 differs from its RECORD."""
    problems = []
    for file in dist.files or []:
        if not file.hash or file.hash.mode != "sha256":
            continue
        path = Path(str(file.locate()))
        try:
            data = path.read_bytes()
        except OSError:
            problems.append(f"{file} is missing")
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if digest != file.hash.value:
            problems.append(f"{file} changed since installation")
    return problems


def check_version(source: Path) -> list[Check]:
    running = releases.version()
    try:
        installed = importlib.metadata.version("qualify")
    except importlib.metadata.PackageNotFoundError:
        installed = "not installed"
    pyproject = source / "pyproject.toml"
    declared = (
        tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        if pyproject.is_file()
        else "no pyproject.toml in the source"
    )
    same = running == installed == declared
    return [
        Check(
            "IQ-01",
            "Installed version and commit",
            same,
            f"code {running}, installed metadata {installed}, source {declared}; "
            f"commit {releases.commit(source)}",
            "the running code, the installed distribution and the source (tests) are one release",
        )
    ]


def check_distributions(source: Path) -> list[Check]:
    lock = releases.lock_file(source)
    if not lock.is_file():
        return [Check("IQ-02", "Distributions against the lock", False, f"{lock} missing", "")]
    pins = lock_pins(lock)
    wrong, changed = [], []
    for name, pinned in sorted(pins.items()):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name} not installed (lock {pinned})")
            continue
        if dist.version != pinned:
            wrong.append(f"{name} {dist.version} (lock {pinned})")
            continue
        changed += [f"{name}: {p}" for p in record_problems(dist)[:3]]
    return [
        Check(
            "IQ-02",
            "Installed distributions match the lock's pins",
            not wrong,
            f"{len(pins)} pinned; " + ("; ".join(wrong[:20]) or "all at the pinned version"),
            f"every distribution of requirements/base.txt (SHA-256 "
            f"{releases.lock_hash(source)}) installed at its pinned version",
        ),
        Check(
            "IQ-03",
            "Installed files unchanged (RECORD hashes)",
            not changed,
            "; ".join(changed[:20]) or "every file's SHA-256 equals its RECORD",
            "no installed file of a pinned distribution changed after installation",
        ),
    ]


def check_platform() -> list[Check]:
    py_ok = sys.version_info >= (3, 11)
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SHOW server_version")
            db_version = cursor.fetchone()[0]
            db_ok = int(db_version.split(".")[0]) >= 14
        elif vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            db_version = cursor.fetchone()[0]
            db_ok = tuple(int(p) for p in db_version.split(".")[:2]) >= (3, 35)
        else:  # pragma: no cover - unsupported engines
            db_version, db_ok = "unknown", False
    return [
        Check(
            "IQ-04",
            "Python version",
            py_ok,
            f"{platform.python_implementation()} {platform.python_version()}",
            "3.11 or later",
        ),
        Check(
            "IQ-05",
            "Database version",
            db_ok,
            f"{vendor} {db_version}",
            "PostgreSQL 14 or later, or SQLite 3.35 or later",
        ),
    ]


def check_migrations() -> list[Check]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    applied = len(executor.loader.applied_migrations)
    return [
        Check(
            "IQ-06",
            "Database migrations applied",
            not plan,
            f"{applied} applied, {len(plan)} pending"
            + (": " + ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:10]) if plan else ""),
            "no pending migration",
        )
    ]


def check_triggers() -> list[Check]:
    from qualify.audit.immutability import guarded_tables, missing_triggers

    # The validation runs (P90) are guarded like the trail: triggers of the same names.
    tables = guarded_tables()
    missing = missing_triggers(connection, tables)
    return [
        Check(
            "IQ-07",
            "Append-only triggers present (A2, R1, P90)",
            not missing,
            ", ".join(f"{t}.{n} missing" for t, n in missing)
            or f"{len(tables)} tables guarded, the validation runs among them",
            "both triggers of every append-only table (the validation runs' included) "
            "present and enabled",
        )
    ]


def check_keys() -> list[Check]:
    from qualify.audit import checkpoint_log, keys

    out = []
    try:
        own = keys.verifier_key_text()
        found = f"{keys.key_path()} present"
        ok = True
    except keys.SigningKeyMissing:
        own, found, ok = None, f"{keys.key_path()} missing", False
    out.append(Check("IQ-08", "Audit signing key present (A6)", ok, found, "the key file exists"))
    configured = getattr(settings, "QUALIFY_VERIFIER_KEY", "") or ""
    try:
        logged = checkpoint_log.pinned_key(checkpoint_log.read_notes()) or ""
    except checkpoint_log.LogError as exc:
        logged = f"unreadable checkpoint log: {exc}"
    pinned = configured or logged
    # A rotated key: the pin names an earlier key; the signed rotations lead here.
    pinned_ok = bool(own and pinned) and (pinned == own or own in _trusted(pinned))
    out.append(
        Check(
            "IQ-09",
            "Verifier key pinned",
            pinned_ok,
            f"QUALIFY_VERIFIER_KEY {'set' if configured else 'not set'}; checkpoint log pin "
            f"{'present' if logged else 'absent'}",
            "a pinned verifier key (configuration or checkpoint log) naming this trail's key",
        )
    )
    try:
        from qualify.reports.signing import ensure_certificate

        _key, cert = ensure_certificate()
        out.append(Check("IQ-10", "Report signing key and certificate", True, f"{cert}", ""))
    except (OSError, ValueError) as exc:
        out.append(Check("IQ-10", "Report signing key and certificate", False, str(exc), ""))
    return out


def _trusted(pinned: str) -> list[str]:
    from qualify.audit import checkpoint_log, notes

    try:
        verifiers = checkpoint_log.trusted_verifiers(pinned, checkpoint_log.read_notes())
    except (checkpoint_log.LogError, notes.NoteError):
        return []
    return [notes.verifier_key(v.name, v.public_key) for v in verifiers]


def _first_validator_option(name: str, option: str):
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith(name):
            return validator.get("OPTIONS", {}).get(option)
    return None


def check_settings() -> list[Check]:
    min_length = _first_validator_option("MinimumLengthValidator", "min_length") or 0
    hasher = settings.PASSWORD_HASHERS[0]
    rows = [
        (
            "Time zone",
            f"TIME_ZONE {settings.TIME_ZONE}, USE_TZ {settings.USE_TZ}",
            settings.USE_TZ,
            "times stored aware, in UTC (T1)",
        ),
        (
            "Lockout",
            f"QUALIFY_LOCKOUT_THRESHOLD {settings.QUALIFY_LOCKOUT_THRESHOLD}",
            1 <= settings.QUALIFY_LOCKOUT_THRESHOLD <= 10,
            "an account locks after 1 to 10 failures (U1)",
        ),
        (
            "Idle timeout",
            f"QUALIFY_IDLE_MINUTES {settings.QUALIFY_IDLE_MINUTES}",
            1 <= settings.QUALIFY_IDLE_MINUTES <= 60,
            "idle sessions expire within an hour (U1)",
        ),
        (
            "Password policy",
            f"minimum length {min_length}; history {settings.QUALIFY_PASSWORD_HISTORY}; "
            f"maximum age {settings.QUALIFY_PASSWORD_MAX_AGE_DAYS} days; "
            f"hasher {hasher.rsplit('.', 1)[-1]}",
            min_length >= 8 and "argon2" in hasher.lower(),
            "at least 8 characters, Argon2 (U1, U4)",
        ),
        ("Debug off", f"DEBUG {settings.DEBUG}", not settings.DEBUG, "DEBUG false in production"),
    ]
    return [
        Check(f"IQ-{11 + i:02d}", title, bool(ok), found, expected)
        for i, (title, found, ok, expected) in enumerate(rows)
    ]


def deploy_messages() -> tuple[list, list]:
    """What `manage.py check --deploy` finds: every registered check (Django's and every
    installed library's, deployment checks included, database checks left out as the
    command leaves them out without --database); (errors and warnings, silenced)."""
    from django.core import checks

    try:  # drf-spectacular warns of a schema problem once per process, then keeps quiet
        from drf_spectacular.drainage import GENERATOR_STATS
    except ImportError:  # pragma: no cover - the API's schema library is pinned
        pass
    else:
        GENERATOR_STATS.reset()  # (the pack's functional specification builds the schema)
    messages = checks.run_checks(include_deployment_checks=True)
    serious = [m for m in messages if m.level >= checks.WARNING]
    return (
        [m for m in serious if not m.is_silenced()],
        [m for m in serious if m.is_silenced()],
    )


def _message(m) -> str:
    from django.core import checks

    level = {checks.CRITICAL: "CRITICAL", checks.ERROR: "ERROR"}.get(m.level, "WARNING")
    where = f"{m.obj}: " if m.obj is not None else ""
    hint = f" HINT: {m.hint}" if m.hint else ""
    return f"{m.id or '(no id)'} ({level}) {where}{m.msg}{hint}"


def check_deploy() -> list[Check]:
    """IQ-16 (P91): `check --deploy` as the command runs it; any error or warning, of
    any check, fails the item, and each is named with its ID and level. A check the
    installation silenced (SILENCED_SYSTEM_CHECKS) does not fail it, as it does not
    fail the command, but is named, so the reviewer sees what was silenced."""
    try:
        found, silenced = deploy_messages()
    except Exception as exc:  # a check that crashes is a failed item, never a pass
        return [
            Check(
                "IQ-16",
                "Django `check --deploy`",
                False,
                f"the checks could not run: {type(exc).__name__}: {exc}",
                "no error and no warning",
            )
        ]
    parts = [
        f"{len(found)} error(s) or warning(s)" + (": " if found else ""),
        "; ".join(_message(m) for m in found),
    ]
    if silenced:
        parts.append(
            f"; silenced by SILENCED_SYSTEM_CHECKS: {', '.join(sorted({m.id for m in silenced}))}"
        )
    return [
        Check(
            "IQ-16",
            "Django `check --deploy`",
            not found,
            " ".join("".join(parts).split())[:8000],
            "no error and no warning from any check, Django's or a library's",
        )
    ]


def run_iq(source: Path) -> list[Check]:
    return [
        *check_version(source),
        *check_distributions(source),
        *check_platform(),
        *check_migrations(),
        *check_triggers(),
        *check_keys(),
        *check_settings(),
        *check_deploy(),
    ]
