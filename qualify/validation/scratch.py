"""One migrated scratch database per validation run, copied for each piece (P121).

Migrating Qualify's schema costs about half a minute of processor time (far longer
on a loaded host), and a run needed it once per OQ worker (pytest-django creates a
test database per xdist worker) and once more for the PQ plant. Instead the run
migrates one template beside the installation's database and copies it: a file
copy (SQLite's online backup, consistent whatever the journal mode) or PostgreSQL's
`CREATE DATABASE ... TEMPLATE`. The copies are the same schema, triggers included,
as a migration would give, because they are the output of one.

Nothing here touches the installation's own database: the template and the copies
are new files in the pack's folder, or new databases named after the installation's
with a suffix, dropped when the run ends.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.db import connection


@dataclass
class Template:
    vendor: str
    name: str  # the SQLite file, or the PostgreSQL database
    copies: list[str] = field(default_factory=list)

    def url(self, name: str | None = None) -> str:
        return database_url(self.vendor, name or self.name)


def database_url(vendor: str, name: str) -> str:
    if vendor == "sqlite":
        return f"sqlite:///{name}"
    db = connection.settings_dict
    auth = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    return f"postgres://{auth}@{host}/{name}"


def _server_sql(*statements: str) -> None:
    # CREATE/DROP DATABASE cannot run in a transaction, nor while connected to it.
    with connection._nodb_cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def migrate_template(folder: Path, env: dict[str, str]) -> Template:
    """Migrate an empty scratch database once; the log goes to `folder`. Raises
    RuntimeError (naming the log) when the migration fails."""
    folder.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    if vendor == "sqlite":
        name = str(folder / "scratch-template.sqlite3")
        for old in folder.glob("scratch-template.sqlite3*"):
            old.unlink()
    elif vendor == "postgresql":
        name = f"{connection.settings_dict['NAME']}_validation_template"
        qn = connection.ops.quote_name(name)
        _server_sql(f"DROP DATABASE IF EXISTS {qn}", f"CREATE DATABASE {qn}")
    else:  # pragma: no cover - unsupported engines
        raise RuntimeError(f"validation needs SQLite or PostgreSQL, not {vendor}")
    template = Template(vendor, name)
    log = folder / "scratch-template-migrate.txt"
    with log.open("w", encoding="utf-8") as sink:
        proc = subprocess.run(
            [sys.executable, "-m", "qualify", "migrate", "--no-input"],
            env={**env, "QUALIFY_DATABASE_URL": template.url()},
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if proc.returncode != 0:
        drop(template)
        raise RuntimeError(f"migrating the scratch template exited {proc.returncode} (see {log})")
    return template


def copy(template: Template, name: str, *, keep_file: bool = False) -> str:
    """A copy of the template named `name` (a file path on SQLite); its URL. `drop`
    removes it with the template, except a SQLite file kept as evidence (keep_file)."""
    if template.vendor == "sqlite":
        for old in Path(name).parent.glob(Path(name).name + "*"):
            old.unlink()
        source = sqlite3.connect(template.name)
        target = sqlite3.connect(name)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        qn = connection.ops.quote_name(name)
        _server_sql(
            f"DROP DATABASE IF EXISTS {qn}",
            f"CREATE DATABASE {qn} TEMPLATE {connection.ops.quote_name(template.name)}",
        )
    if not (keep_file and template.vendor == "sqlite"):
        template.copies.append(name)
    return template.url(name)


def drop(template: Template) -> None:
    """Remove the template and its copies (a SQLite file kept as evidence stays)."""
    names = [*template.copies, template.name]
    if template.vendor == "sqlite":
        for name in names:
            for path in Path(name).parent.glob(Path(name).name + "*"):
                path.unlink()
    else:
        _server_sql(*(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(n)}" for n in names))
    template.copies.clear()
