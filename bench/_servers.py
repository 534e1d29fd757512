"""gunicorn app servers on free loopback ports for the API benchmarks, stopped on exit."""

import os
import socket
import subprocess
import time

from bench import _django


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """gunicorn processes on free loopback ports, stopped on exit."""

    def __init__(self, count: int):
        self.ports = [_free_port() for _ in range(count)]
        self.processes = []

    def __enter__(self):
        env = {**os.environ, "QUALIFY_API_RATE": "100000000/min"}
        for port in self.ports:
            command = [
                str(_django.REPO / ".venv" / "bin" / "gunicorn"),
                "qualify.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--log-level",
                "warning",
                # One control socket per user by default: a second server logged an error.
                "--no-control-socket",
            ]
            self.processes.append(subprocess.Popen(command, cwd=_django.REPO, env=env))
        for port in self.ports:
            _wait_for(port)
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not listen on 127.0.0.1:{port}")
