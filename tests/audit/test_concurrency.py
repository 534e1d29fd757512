"""Concurrent appenders leave one linear chain: no fork, no gap (P4).

Each test builds a database of its own, migrated by `qualify migrate`, because the
writers are separate processes that must see each other's commits, which the test
database (one transaction per test) cannot offer.
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.audit._append_worker import ACTION
from tests.audit.helpers import postgres_only

REPO = Path(__file__).resolve().parents[2]
WRITERS = 8


def _qualify(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qualify", *args],
        env=env,
        cwd=REPO,
        check=check,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _run_writers(env: dict, tmp_path: Path, per_writer: int) -> None:
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(WRITERS)]
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.audit._append_worker", str(per_writer), str(r), str(go)],
            env=env,
            cwd=REPO,
        )
        for r in ready
    ]
    try:
        deadline = time.monotonic() + 120
        while not all(r.exists() for r in ready):
            assert time.monotonic() < deadline, "writers did not start"
            assert all(w.poll() is None for w in writers), "a writer died before starting"
            time.sleep(0.01)
        go.touch()  # all at the same time
        codes = [w.wait(timeout=600) for w in writers]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
    assert codes == [0] * WRITERS


def _check_one_linear_chain(env: dict, rows: list[tuple], per_writer: int) -> None:
    (count, first, last), *_ = rows
    total = WRITERS * per_writer
    assert (count, first, last) == (total, 1, total)
    verified = _qualify(env, "audit", "verify", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{total} events" in verified.stdout


STATS_SQL = f"SELECT COUNT(*), MIN(seq), MAX(seq) FROM audit_event WHERE action = '{ACTION}'"


@pytest.mark.requirement("P4")
@postgres_only
def test_eight_processes_appending_at_once_on_postgresql_leave_one_chain(tmp_path):
    import psycopg

    db = settings.DATABASES["default"]
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    name = f"qualify_concurrency_{os.getpid()}"
    credentials = quote(server["user"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    env = os.environ | {
        "QUALIFY_DATABASE_URL": f"postgres://{credentials}@{server['host']}:{server['port']}/{name}",
        "QUALIFY_VAR_DIR": str(tmp_path),
        "QUALIFY_SIGNING_KEY": str(tmp_path / "key.pem"),
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        _qualify(env, "migrate", "--no-input", "-v", "0")
        _run_writers(env, tmp_path, per_writer=1000)
        with psycopg.connect(dbname=name, **server) as conn:
            rows = conn.execute(STATS_SQL).fetchall()
            assert conn.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0] == 8000
        _check_one_linear_chain(env, rows, per_writer=1000)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.own_sqlite
@pytest.mark.slow
@pytest.mark.requirement("P4")
def test_eight_processes_appending_at_once_on_sqlite_leave_one_chain(tmp_path):
    # SQLite serialises writers with IMMEDIATE transactions (settings) instead of a lock.
    import sqlite3

    path = tmp_path / "concurrency.sqlite3"
    env = os.environ | {
        "QUALIFY_DATABASE_URL": f"sqlite:///{path}",
        "QUALIFY_VAR_DIR": str(tmp_path),
        "QUALIFY_SIGNING_KEY": str(tmp_path / "key.pem"),
    }
    _qualify(env, "migrate", "--no-input", "-v", "0")
    _run_writers(env, tmp_path, per_writer=250)
    with sqlite3.connect(path) as conn:
        rows = conn.execute(STATS_SQL).fetchall()
    _check_one_linear_chain(env, rows, per_writer=250)
