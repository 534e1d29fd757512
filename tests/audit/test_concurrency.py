"""Concurrent appenders leave one linear chain: no fork, no gap (P4).

Each test writes to a migrated database of its own (a copy of the suite's migrated
template, tests/plugins/migrated_template.py), because the writers are separate
processes that must see each other's commits, which the test database (one transaction
per test) cannot offer.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.audit._append_worker import ACTION
from tests.audit.helpers import postgres_only
from tests.plugins.migrated_template import pg_copy_for_processes, pg_server

REPO = Path(__file__).resolve().parents[2]
WRITERS = 8
# 2,000 appends from eight processes started at one instant, on both engines. At 1,000
# a writer, the PostgreSQL test alone took 157 s of a loaded CI run.
PER_WRITER = 250


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
    # Each writer's stderr goes to a file of its own, so that a writer that dies says why
    # in the failure, not in output interleaved with seven others.
    errors = [tmp_path / f"writer-{i}.err" for i in range(WRITERS)]
    writers = []
    for r, err in zip(ready, errors, strict=True):
        with err.open("w") as sink:
            writers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tests.audit._append_worker",
                        str(per_writer),
                        str(r),
                        str(go),
                    ],
                    env=env,
                    cwd=REPO,
                    stderr=sink,
                )
            )

    def died() -> str:
        return "\n".join(
            f"writer {i} exited {w.returncode}:\n{errors[i].read_text()[-4000:]}"
            for i, w in enumerate(writers)
            if w.poll() not in (None, 0)
        )

    try:
        deadline = time.monotonic() + 120
        while not all(r.exists() for r in ready):
            assert time.monotonic() < deadline, "writers did not start"
            assert all(w.poll() is None for w in writers), (
                "a writer died before starting:\n" + died()
            )
            time.sleep(0.01)
        go.touch()  # all at the same time
        codes = [w.wait(timeout=600) for w in writers]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
    assert codes == [0] * WRITERS, died()


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
def test_eight_processes_appending_at_once_on_postgresql_leave_one_chain(
    tmp_path, migrated_template
):
    import psycopg

    name = f"qualify_concurrency_{os.getpid()}"
    with pg_copy_for_processes(migrated_template, name, tmp_path) as env:
        _run_writers(env, tmp_path, per_writer=PER_WRITER)
        with psycopg.connect(dbname=name, **pg_server()) as conn:
            rows = conn.execute(STATS_SQL).fetchall()
            assert conn.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0] == WRITERS * (
                PER_WRITER
            )
        _check_one_linear_chain(env, rows, per_writer=PER_WRITER)


@pytest.mark.own_sqlite
@pytest.mark.slow
@pytest.mark.requirement("P4")
def test_eight_processes_appending_at_once_on_sqlite_leave_one_chain(tmp_path, migrated_template):
    # SQLite serialises writers with IMMEDIATE transactions (settings) instead of a lock.
    import sqlite3

    path = tmp_path / "concurrency.sqlite3"
    env = os.environ | {
        "QUALIFY_DATABASE_URL": migrated_template.copy(file=path),
        "QUALIFY_VAR_DIR": str(tmp_path),
        "QUALIFY_SIGNING_KEY": str(tmp_path / "key.pem"),
    }
    _run_writers(env, tmp_path, per_writer=PER_WRITER)
    with sqlite3.connect(path) as conn:
        rows = conn.execute(STATS_SQL).fetchall()
    _check_one_linear_chain(env, rows, per_writer=PER_WRITER)
