"""Backup and restore (issue 18) with the audit trail's proof kept across them.

A backup is a folder:

* ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the
  application runs) or ``database.pgdump`` (``pg_dump --format=custom`` from an exported
  snapshot);
* ``keys/``: the site key, its origin file, the retired keys, the checkpoint log (the
  trail cannot be verified, nor new events MACed, without them);
* ``media/``: uploaded document files and evidence (unless ``--no-media``);
* ``manifest.json``: the SHA-256 and size of every file above, and the audit trail's
  size and Merkle root *in the dumped database* (read from the dump's own snapshot, so
  events appended while the backup ran cannot make them disagree).

``restore_backup`` checks every hash first, refuses a target that is not empty, puts the
files in place, loads the database, then runs ``audit verify`` on what it restored: the
restore finishes only if the trail is intact and its size and root equal the
manifest's. Otherwise everything it wrote is removed again and it says why.
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from qualify.audit import checkpoint_log, keys
from qualify.audit.merkle import TreeBuilder, leaf_hash
from qualify.postgresql.maintenance import after_bulk_load

FORMAT = 1
CHUNK = 10_000


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Roots:
    tree_size: int
    root_hash: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _roots_of(cursor) -> Roots:
    """Size and RFC 6962 root of the trail as the cursor's snapshot sees it."""
    tree = TreeBuilder()
    last = 0
    while True:
        cursor.execute(
            "SELECT seq, entry FROM audit_event WHERE seq > %s ORDER BY seq LIMIT %s"
            if not isinstance(cursor, sqlite3.Cursor)
            else "SELECT seq, entry FROM audit_event WHERE seq > ? ORDER BY seq LIMIT ?",
            [last, CHUNK],
        )
        rows = cursor.fetchall()
        if not rows:
            break
        tree.extend([leaf_hash(entry.encode("utf-8")) for _, entry in rows])
        last = rows[-1][0]
    return Roots(tree.size, tree.root().hex())


def _pg_env(config: dict) -> dict:
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return env


def _pg_args(config: dict) -> list[str]:
    args = []
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if config.get(key):
            args += [flag, str(config[key])]
    return args


def _dump_database(target: Path) -> tuple[str, Roots]:
    vendor = connection.vendor
    config = connection.settings_dict
    if vendor == "sqlite":
        out = target / "database.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(out)
        try:
            connection.connection.backup(copy)
            roots = _roots_of(copy.cursor())
        finally:
            copy.close()
        return out.name, roots
    if vendor == "postgresql":
        out = target / "database.pgdump"
        # One snapshot for the roots and the dump: pg_dump reads exactly what we hashed.
        with connections["default"].cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                roots = _roots_of(cursor)
                subprocess.run(
                    [
                        "pg_dump",
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--no-owner",
                        f"--file={out}",
                        *_pg_args(config),
                        config["NAME"],
                    ],
                    check=True,
                    env=_pg_env(config),
                    capture_output=True,
                )
            except subprocess.CalledProcessError as exc:
                raise BackupError(f"pg_dump failed: {exc.stderr.decode(errors='replace')}") from exc
            finally:
                cursor.execute("ROLLBACK")
        return out.name, roots
    raise BackupError(f"backup is written for SQLite and PostgreSQL, not {vendor}")


def _key_files() -> list[tuple[str, Path]]:
    """(name in the backup, path on this machine) of every key file that exists."""
    found = []
    for name, path in (
        ("keys/site-key.pem", keys.key_path()),
        ("keys/site-key.origin", keys.origin_path()),
        ("keys/checkpoints.log", checkpoint_log.log_path()),
    ):
        if path.exists():
            found.append((name, path))
    retired = keys.retired_dir()
    if retired.is_dir():
        found += [(f"keys/retired/{p.name}", p) for p in sorted(retired.glob("*.pem"))]
    return found


def make_backup(target: Path, *, media: bool = True) -> dict:
    """Write a backup into the empty or new folder ``target``; return its manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; a backup goes into a new folder")
    target.mkdir(parents=True, exist_ok=True)
    database, roots = _dump_database(target)
    for name, path in _key_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name)
    media_root = Path(settings.MEDIA_ROOT)
    if media and media_root.is_dir():
        shutil.copytree(media_root, target / "media")
    files = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        files[path.relative_to(target).as_posix()] = {
            "sha256": _sha256(path),
            "bytes": path.stat().st_size,
        }
    manifest = {
        "format": FORMAT,
        "made_at": dt.datetime.now(dt.UTC).isoformat(),
        "vendor": connection.vendor,
        "database": database,
        "audit": {"tree_size": roots.tree_size, "root_hash": roots.root_hash},
        "files": files,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def check_manifest(source: Path) -> dict:
    """The manifest, after checking every file's hash; BackupError names the first bad one."""
    source = Path(source)
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable manifest.json in {source}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"manifest format {manifest.get('format')!r} is not {FORMAT}")
    for name, expected in sorted(manifest["files"].items()):
        path = source / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup")
        if _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} does not match its SHA-256 in the manifest")
    present = {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()}
    extra = sorted(present - set(manifest["files"]) - {"manifest.json"})
    if extra:
        raise BackupError(f"files not in the manifest: {', '.join(extra[:5])}")
    return manifest


def _database_empty() -> bool:
    return "audit_event" not in connection.introspection.table_names()


def _load_database(source: Path, manifest: dict) -> None:
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(f"the backup is of {manifest['vendor']}; this installation is {vendor}")
    if vendor == "sqlite":
        # The online backup API, in reverse: the dump's pages into this connection.
        connection.ensure_connection()
        dump = sqlite3.connect(source / manifest["database"])
        try:
            dump.backup(connection.connection)
        finally:
            dump.close()
        return
    config = connection.settings_dict
    connection.close()
    result = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={config['NAME']}",
            *_pg_args(config),
            str(source / manifest["database"]),
        ],
        env=_pg_env(config),
        capture_output=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.decode(errors='replace')}")


def _wipe_database() -> None:
    """Undo a refused restore: leave the target as empty as it was."""
    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")


def _key_targets() -> dict[str, Path]:
    return {
        "keys/site-key.pem": keys.key_path(),
        "keys/site-key.origin": keys.origin_path(),
        "keys/checkpoints.log": checkpoint_log.log_path(),
    }


def restore_backup(source: Path, *, media: bool = True) -> tuple[dict, object]:
    """Restore into an empty installation; return (manifest, verification report).
    Raises BackupError, having removed what it wrote, unless `audit verify` of the
    restored trail is intact with the manifest's size and root."""
    from qualify.audit.verify import verify_trail

    source = Path(source)
    manifest = check_manifest(source)
    if not _database_empty():
        raise BackupError("the database is not empty: restore only into a new, empty database")
    placed: list[Path] = []
    targets = _key_targets()
    for name in manifest["files"]:
        if not name.startswith("keys/"):
            continue
        path = targets.get(name) or keys.retired_dir() / Path(name).name
        if path.exists():
            if _sha256(path) != manifest["files"][name]["sha256"]:
                raise BackupError(f"{path} exists and differs from the backup's {name}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, path)
        placed.append(path)
    try:
        _load_database(source, manifest)
        report = verify_trail()
        expected = manifest["audit"]
        if not report.ok:
            raise BackupError(f"audit verify of the restored trail: {report.problems[0]}")
        if (report.tree_size, report.root_hash) != (expected["tree_size"], expected["root_hash"]):
            raise BackupError(
                f"the restored trail has {report.tree_size} events, root {report.root_hash};"
                f" the backup recorded {expected['tree_size']}, root {expected['root_hash']}"
            )
    except BaseException:
        _wipe_database()
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    # The restored tables have no planner statistics yet (pg_restore copies none).
    after_bulk_load()
    media_root = Path(settings.MEDIA_ROOT)
    if media and (source / "media").is_dir():
        shutil.copytree(source / "media", media_root, dirs_exist_ok=True)
    return manifest, report
