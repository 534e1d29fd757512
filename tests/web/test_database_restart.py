"""P22 on a real PostgreSQL restart: the application, served by gunicorn on a loopback
port, is under light load while its PostgreSQL server restarts. No request answers 500,
and the service is back within 10 s of the restart.

The server restarted is a private cluster this test creates (initdb on a free port)
and removes, so the tests that other workers run meanwhile on the shared server are
not cut off. It runs in the PostgreSQL pass, where PostgreSQL's programs are installed.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "qualify.postgresql"
BACK_WITHIN_SECONDS = 10


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _skip_reason() -> str | None:
    if not IS_POSTGRES:
        return "needs PostgreSQL (run with QUALIFY_DATABASE_URL=postgres://...)"
    if _bin_dir() is None:
        return "PostgreSQL's initdb is not installed: cannot make a server to restart"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "as root, initdb must run as the postgres user and runuser is missing"
    return None


pytestmark = [
    pytest.mark.requirement("P22"),
    pytest.mark.postgres_only,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]


class PrivateCluster:
    """A throwaway PostgreSQL server: initdb refuses root, so as root it runs as postgres."""

    def __init__(self, port: int):
        self.port = port
        self.data = Path(tempfile.mkdtemp(prefix="qualify-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")

    def _run(self, program: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        command = [*prefix, str(_bin_dir() / program), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _pg_ctl(self, action: str, *args: str) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", action, "-D", str(self.data / "db"), "-w", "-o", options, *args)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data / "db"), "-A", "trust", "-U", "postgres", "-N")
        self._pg_ctl("start", "-l", str(self.data / "server.log"))

    def restart_command(self) -> list[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return [
            *prefix,
            str(_bin_dir() / "pg_ctl"),
            "restart",
            "-D",
            str(self.data / "db"),
            "-w",
            "-m",
            "fast",
        ]

    def remove(self) -> None:
        # It may never have started, or have stopped already.
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    private = PrivateCluster(_free_port())
    try:
        private.start()
        yield private
    finally:
        private.remove()


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


def test_a_postgresql_restart_under_load_gives_503s_never_500_and_service_returns(
    tmp_path, cluster
):
    port = _free_port()
    env = os.environ | {
        "QUALIFY_DATABASE_URL": f"postgres://postgres@127.0.0.1:{cluster.port}/postgres",
        "QUALIFY_VAR_DIR": str(tmp_path),
        "QUALIFY_SIGNING_KEY": str(tmp_path / "key.pem"),
        "QUALIFY_DEBUG": "false",
        "QUALIFY_SECURE_COOKIES": "false",
        "QUALIFY_API_RATE": "100000/min",
    }
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
                "--no-control-socket",
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
            cluster.restart_command(),
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
