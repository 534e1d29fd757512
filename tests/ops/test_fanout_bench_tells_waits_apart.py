"""bench.fanout tells waiting apart from work (P134, P89): beside the wall time of the
approval and of its floor it reports their process CPU, the approval's voluntary and
involuntary context switches and the load average at the start and the end (on
PostgreSQL on the same host also the server backend's CPU). Run as
bench.run runs it (its own process, `--json`) on a plant of a few people in a
database of the test's own; nothing here times anything."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.requirement("P134", "P89", "P180", "P196"),
    pytest.mark.slow,
    pytest.mark.own_sqlite,
]


def test_the_fan_out_bench_reports_cpu_switches_and_load_beside_wall_time(
    tmp_path, migrated_template
):
    """Six people, one round: the rows name the assignments (six, checked equal to the
    rows copied by the floor inside the bench), the CPU of the approval and of each
    floor way, the context switches as two counts and the load at start and end."""
    # A copy of the run's migrated template: the bench's own migration has nothing to do.
    database = migrated_template.copy(file=tmp_path / "fanout.sqlite3")
    env = {**os.environ, "BENCH_DATABASE_URL": database}
    env.pop("QUALIFY_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench.fanout", "--people", "6", "--runs", "1", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["metric"]: row["value"] for row in json.loads(done.stdout.splitlines()[-1])}
    assert rows["people retrained by the revision (assignments created)"] == "6"
    assert rows["audit events written by the approval"] == "9"  # six, and three of the approval
    # Every holder but the first (unsigned record) was qualified on revision 1 and loses
    # it; the bench checks who, against the plant it built.
    assert rows["qualifications lost (Q4, signed records of revision 1)"] == "5"
    # Found after the commit by the task the approval queued (P196), timed beside it.
    assert rows["after the commit, the losses task (Q4 for every pair, P196), best s"] >= 0
    assert rows["the same, process CPU, best s"] >= 0
    assert re.fullmatch(
        r"[\d,]+ / [\d,]+", rows["the best run's context switches, voluntary / involuntary"]
    )
    start, end, cpus = rows["load average (1 min) at the start and the end, CPUs"].split(", ")
    assert float(start) >= 0  # a number, as the host reported it
    assert float(end) >= 0
    assert int(cpus) == os.cpu_count()
    assert any(m.startswith("floor way: executemany, process CPU") for m in rows)
    assert re.fullmatch(r"[\d.]+x", rows["approval / floor"])
    # On SQLite the database works in the bench's process: no server CPU to add.
    assert not [m for m in rows if "PostgreSQL backend" in m]
