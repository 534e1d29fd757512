"""P140 against a real streaming standby: reports read their rows from the replica
and see what it has replayed; everything else, writes included, goes to the primary.

A private primary (initdb on a free port) and its standby (pg_basebackup -R, hot
standby) are made for this test and removed after it; the probe process migrates the
primary, builds a small plant, pauses the standby's replay, adds a person and asks the
compliance report, then resumes the replay and asks again."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.test_database_restart import (
    REPO,
    PrivateCluster,
    _free_port,
    _skip_reason,
)

pytestmark = [
    pytest.mark.requirement("P140"),
    pytest.mark.postgres_only,
    pytest.mark.slow,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]


class Standby(PrivateCluster):
    """A hot standby streaming from `primary`: a base backup that writes its own
    primary_conninfo and standby.signal (-R)."""

    def __init__(self, port: int, primary: PrivateCluster):
        super().__init__(port)
        self.primary = primary

    def start(self) -> None:
        self._run(
            "pg_basebackup",
            "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.data / "db"), "-R", "-X", "stream",
        )  # fmt: skip
        self._pg_ctl("start", "-l", str(self.data / "server.log"))


@pytest.fixture
def primary_and_standby():
    primary = PrivateCluster(_free_port())
    standby = Standby(_free_port(), primary)
    try:
        primary.start()
        standby.start()
        yield primary, standby
    finally:
        standby.remove()
        primary.remove()


def _url(cluster: PrivateCluster) -> str:
    return f"postgres://postgres@127.0.0.1:{cluster.port}/postgres"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def test_reports_read_what_the_standby_has_replayed_and_writes_go_to_the_primary(
    primary_and_standby, tmp_path: Path
):
    primary, standby = primary_and_standby
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUALIFY_")}
    env.update(
        QUALIFY_DATABASE_URL=_url(primary),
        QUALIFY_REPLICA_DATABASE_URL=_url(standby),
        QUALIFY_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="qualify.settings",
        PYTHONPATH=str(REPO),
    )
    migrated = _run(["-m", "qualify", "migrate", "--no-input"], env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    probe = _run(["-m", "tests.ops.streaming_replica_probe"], env)
    assert probe.returncode == 0, probe.stderr[-3000:]
    seen = json.loads(probe.stdout.strip().splitlines()[-1])

    assert seen["standby_in_recovery"] is True  # a real standby, not a second primary
    assert seen["report_caught_up"] == ["Streamed 0", "Streamed 1", "Streamed 2"]
    # Replay paused: the person is on the primary, not yet on the standby the report reads.
    assert seen["primary_people"] == seen["standby_people"] + 1
    assert seen["report_paused"] == seen["report_caught_up"]
    assert "Written while paused" in seen["report_resumed"]
    assert seen["trail_verifies"] is True
