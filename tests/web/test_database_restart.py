"""P22 on a real PostgreSQL restart: the application, served by gunicorn on a loopback
port against a throwaway database, is under light load while `pg_ctlcluster restart`
runs. No request answers 500, and the service is back within 10 s of the restart.

It restarts the whole cluster, so it runs only where that is allowed: PostgreSQL, as
root (CI's PostgreSQL pass), with pg_ctlcluster present.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections

REPO = Path(__file__).resolve().parents[2]
IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
BACK_WITHIN_SECONDS = 10


def _cluster() -> str | None:
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    return versions[-1] if versions else None


def _skip_reason() -> str | None:
    if not IS_POSTGRES:
        return "needs PostgreSQL (run with QUALIFY_DATABASE_URL=postgres://...)"
    if shutil.which("pg_ctlcluster") is None or _cluster() is None:
        return "pg_ctlcluster is not installed: cannot restart the database server"
    if os.geteuid() != 0:
        return "restarting the PostgreSQL cluster needs root (CI's PostgreSQL pass)"
    return None


pytestmark = [
    pytest.mark.requirement("P22"),
    pytest.mark.postgres_only,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> int | str:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:  # the server itself never goes away; say so if it did
        return f"{type(error).__name__}"


def _pg_ready(server: dict) -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-h", server["host"], "-p", str(server["port"]), "-q"], check=False
        ).returncode
        == 0
    )


def test_a_postgresql_restart_under_load_gives_503s_never_500_and_service_returns(tmp_path):
    import psycopg

    db = settings.DATABASES["default"]
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": int(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    name = f"qualify_restart_{os.getpid()}"
    credentials = quote(server["user"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    port = _free_port()
    env = os.environ | {
        "QUALIFY_DATABASE_URL": f"postgres://{credentials}@{server['host']}:{server['port']}/{name}",
        "QUALIFY_VAR_DIR": str(tmp_path),
        "QUALIFY_SIGNING_KEY": str(tmp_path / "key.pem"),
        "QUALIFY_DEBUG": "false",
        "QUALIFY_SECURE_COOKIES": "false",
        "QUALIFY_API_RATE": "100000/min",
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    app = None
    try:
        qualify = [sys.executable, "-m", "qualify"]
        run = {"env": env, "cwd": REPO, "check": True, "capture_output": True, "text": True}
        subprocess.run([*qualify, "migrate", "--no-input", "-v", "0"], timeout=600, **run)
        created = subprocess.run(
            [*qualify, "token", "create", "restart", "--scopes", "read"], timeout=120, **run
        )
        token = created.stdout.strip().splitlines()[-1]
        app = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "qualify.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "2",
                "--timeout",
                "30",
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "gunicorn.log").open("w"),
        )
        url = f"http://127.0.0.1:{port}/api/v1/ping/"
        deadline = time.monotonic() + 60
        while _get(url, token) != 200:
            assert app.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the application did not start"
            time.sleep(0.2)

        answers: list[int | str] = [_get(url, token) for _ in range(20)]
        assert set(answers) == {200}
        restart = subprocess.Popen(
            ["pg_ctlcluster", "--skip-systemctl-redirect", _cluster(), "main", "restart"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Light load while the server goes down and comes back: a bounded loop.
        during: list[int | str] = []
        for _ in range(400):
            during.append(_get(url, token))
            if restart.poll() is not None:
                break
            time.sleep(0.05)
        assert restart.wait(timeout=120) == 0
        restarted = time.monotonic()
        back_at = None
        after: list[int | str] = []
        while time.monotonic() - restarted < BACK_WITHIN_SECONDS + 5:
            answer = _get(url, token)
            after.append(answer)
            if answer == 200:
                back_at = time.monotonic() - restarted
                break
            time.sleep(0.2)
        everything = answers + during + after
        assert 500 not in everything, everything
        assert set(everything) <= {200, 503}, everything
        assert back_at is not None
        assert back_at <= BACK_WITHIN_SECONDS, f"service back after {back_at:.1f} s"
        # And it stays back: a short burst, all served.
        assert {_get(url, token) for _ in range(20)} == {200}
    finally:
        if app is not None:
            app.terminate()
            app.wait(timeout=30)
        # This process's own connections died with the restart: drop them so the
        # tests after this one reconnect.
        connections.close_all()
        for _ in range(60):
            if _pg_ready(server):
                break
            time.sleep(0.5)
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
