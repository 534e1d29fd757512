"""`migrated_template`: new, migrated databases for tests whose writers are processes of
their own (several writers racing, app servers, backup and restore).

`qualify migrate` of a new database took 17 to 24 s of processor time on CI's machine, and
each of those tests ran one. The first of them in a test run migrates a template once,
in a subprocess, as an installation would; each then gets a copy of it:
`CREATE DATABASE … TEMPLATE` on PostgreSQL, SQLite's backup of the file on SQLite. The
copy is what a migration of a new database leaves: migrating writes nothing to the var
folder that the database depends on (the secret key file is made by the settings of any
command, the checkpoint and site keys at first use), so each copy runs with a var
folder of its own.

Under pytest-xdist the workers of a run share one template: it lives in the run's
temporary folder, the one folder the workers' own folders are in, and the first worker
to ask makes it while holding a lock on a file there; copies are taken under that lock
too (PostgreSQL refuses to copy a database someone is connected to). The run's
controller, or the single process without xdist, drops the PostgreSQL template when the
session ends.
"""

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]


def vendor() -> str:
    return (
        "postgresql"
        if settings.DATABASES["default"]["ENGINE"] == "qualify.postgresql"
        else "sqlite"
    )


def pg_server() -> dict:
    """The suite's PostgreSQL server, as psycopg.connect's keyword arguments."""
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or None,
    }


def pg_url(name: str) -> str:
    """QUALIFY_DATABASE_URL of database `name` on the suite's PostgreSQL server."""
    server = pg_server()
    credentials = quote(server["user"])
    if server["password"]:
        credentials += f":{quote(server['password'])}"
    return f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"


def pg_admin(sql: str) -> None:
    """One statement on the server's maintenance database, outside any transaction."""
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **pg_server()) as admin:
        admin.execute(sql)


def pg_drop(name: str) -> None:
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def pg_copy_for_processes(template: "MigratedTemplate", name: str, folder: Path) -> Iterator[dict]:
    """The environment of processes a test starts on a PostgreSQL copy of the template
    named `name` (dropped before and after), with `folder` as their var folder and key."""
    pg_drop(name)
    env = os.environ | {
        "QUALIFY_DATABASE_URL": template.copy(name=name),
        "QUALIFY_VAR_DIR": str(folder),
        "QUALIFY_SIGNING_KEY": str(folder / "key.pem"),
    }
    try:
        yield env
    finally:
        pg_drop(name)


class MigratedTemplate:
    """The run's migrated database, copied for each test that asks."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.vendor = vendor()
        self.done = folder / "migrated-template.done"
        if self.vendor == "postgresql":
            digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
            self.source = f"qualify_template_{digest}"
        else:
            self.source = str(folder / "migrated-template.sqlite3")

    def _migrate(self) -> None:
        if self.vendor == "postgresql":
            pg_drop(self.source)
            pg_admin(f"CREATE DATABASE {self.source}")
            url = pg_url(self.source)
        else:
            url = f"sqlite:///{self.source}"
        env = os.environ | {
            "QUALIFY_DATABASE_URL": url,
            "QUALIFY_VAR_DIR": str(self.folder / "migrated-template-var"),
        }
        migrated = subprocess.run(
            [sys.executable, "-m", "qualify", "migrate", "--no-input", "-v", "0"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if migrated.returncode != 0:
            raise AssertionError(f"qualify migrate of the template: {migrated.stderr[-3000:]}")
        self.done.touch()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Held while the template is made or copied (made first if it is not yet)."""
        with (self.folder / "migrated-template.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.done.exists():
                self._migrate()
            yield

    def copy(self, *, name: str = "", file: Path | None = None) -> str:
        """A new database holding the migrated schema, and its QUALIFY_DATABASE_URL: the
        PostgreSQL database `name` (the caller drops it) or the SQLite `file`."""
        with self.lock():
            if self.vendor == "postgresql":
                assert name, "a PostgreSQL copy needs a database name"
                pg_admin(f"CREATE DATABASE {name} TEMPLATE {self.source}")
                return pg_url(name)
            assert file is not None, "a SQLite copy needs a file"
            with (
                closing(sqlite3.connect(self.source)) as source,
                closing(sqlite3.connect(file)) as target,
            ):
                source.backup(target)
            return f"sqlite:///{file}"

    def drop(self) -> None:
        if self.vendor == "postgresql" and self.done.exists():
            pg_drop(self.source)


def run_folder(config) -> Path:
    """The temporary folder of the whole run: an xdist worker's own folder is in it."""
    own = config._tmp_path_factory.getbasetemp()
    return own.parent if hasattr(config, "workerinput") else own


@pytest.fixture(scope="session")
def migrated_template(pytestconfig):
    return MigratedTemplate(run_folder(pytestconfig))


def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):
        MigratedTemplate(run_folder(session.config)).drop()


# --- The suite's own test databases --------------------------------------------------
#
# pytest-django migrates each worker's test database in the worker itself: four
# migrations of a new database in a CI run (two workers a pass), 15 s or more of processor
# time each. The run's template is migrated anyway (the tests above use it), so each
# worker's database is a copy of it and Django's migrate, given a database already
# migrated, only confirms it (about half a second).


def copies_the_template(config) -> bool:
    """Whether this run's test database is a copy of the template: not when the run
    reuses a database (`--reuse-db`, as `qualify validate`'s OQ does with a scratch
    database it copied itself) or names its own (QUALIFY_TEST_DATABASE_NAME), nor on
    SQLite unless the test database is Django's in-memory one."""
    from django.db import connection

    if config.getvalue("reuse_db") and not config.getvalue("create_db"):
        return False
    if os.environ.get("QUALIFY_TEST_DATABASE_NAME") or config.getvalue("nomigrations"):
        return False
    if vendor() == "postgresql":
        return True
    return connection.creation._get_test_db_name().startswith("file:memorydb_")


@contextmanager
def test_database_copied(template: MigratedTemplate) -> Iterator[None]:
    """The test database Django is about to set up, made a copy of `template` first;
    set it up with `keepdb=True` inside this block, so that it is kept and migrate only
    confirms it."""
    from django.db import connection

    name = connection.creation._get_test_db_name()
    if template.vendor == "postgresql":
        pg_drop(name)
        template.copy(name=name)
        yield
        return
    with template.lock():
        pass  # only to wait for the template
    # An in-memory database lives while a connection to it is open: this one holds the
    # copy until Django's own connection has opened it.
    with closing(sqlite3.connect(name, uri=True)) as keeper:
        with closing(sqlite3.connect(template.source)) as source:
            source.backup(keeper)
        yield
        connection.ensure_connection()
