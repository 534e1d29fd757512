"""The benchmarks of issue 18 run at a tiny scale, so they do not rot (P150).

Each is run as bench.run runs it (`python -m bench.<name> --json`, its own process)
on a plant of a few people in a database of the test's own, and its rows must be
there and well formed. Nothing here times anything: the figures come from bench/ on
the medium plant (docs/benchmarks.md), never from a test.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PAGE_FIGURES = re.compile(
    r"[\d.]+x: [\d.]+ ms median, [\d.]+ ms p99; CPU [\d.]+ ms, [\d.]+x; [\d,]+ B, \d+ queries;"
    r" cold [\d.]+ ms"
)

pytestmark = [pytest.mark.requirement("P150"), pytest.mark.slow, pytest.mark.own_sqlite]


def _run(module: str, database: str, *args: str) -> list[dict]:
    """Run bench `module` on `database` (a copy of the run's migrated template: the bench
    migrates its database first, which then has nothing to do)."""
    env = {**os.environ, "BENCH_DATABASE_URL": database}
    env.pop("QUALIFY_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--json", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _value(rows: list[dict], metric_start: str) -> str:
    found = [row["value"] for row in rows if row["metric"].startswith(metric_start)]
    assert found, f"no row {metric_start!r} in {[row['metric'] for row in rows]}"
    return found[0]


@pytest.mark.requirement("P172")
def test_every_page_benchmark_measures_the_pages_it_names_against_the_login_page(
    tmp_path, migrated_template
):
    """bench.pages signs in as the roles, GETs the pages and reports each one's
    median, p99, bytes, queries, ratio to the login page and first (cold) GET, with a
    verdict against the 5x target; pages it could not request are listed with the
    reason."""
    rows = _run(
        "pages",
        migrated_template.copy(file=tmp_path / "pages.sqlite3"),
        "--people",
        "12",
        "--rounds",
        "1",
        "--warm-ups",
        "2",
        "--only",
        "coordinator",
    )
    assert all(row["benchmark"] == "pages (sqlite)" for row in rows)
    measured, over, skipped = (int(n) for n in _value(rows, "pages measured").split(", "))
    assert measured >= 8
    assert 0 <= over <= measured
    page_rows = [row for row in rows if row["target"] == "<= 5x login"]
    assert len(page_rows) == measured
    assert {row["met"] for row in page_rows} <= {True, False}
    assert any("/coordinator/compliance/" in row["metric"] for row in page_rows)
    for row in page_rows:
        assert PAGE_FIGURES.fullmatch(row["value"]), row["value"]
    not_measured = [row for row in rows if row["metric"].startswith("not measured:")]
    assert len(not_measured) == skipped
    assert all(row["value"] for row in not_measured)


def test_the_api_load_benchmark_compares_the_api_with_the_login_page_and_two_servers_with_one(
    tmp_path, migrated_template
):
    """bench.api_load drives ping, single check and the login page with concurrent
    clients against gunicorn, then the same load against two servers and one, and
    reports requests/s, p99 and the ratios."""
    rows = _run(
        "api_load",
        migrated_template.copy(file=tmp_path / "load.sqlite3"),
        "--people",
        "12",
        "--clients",
        "2",
        "--requests",
        "3",
        "--rounds",
        "1",
    )
    for kind in ("login page", "ping", "single check"):
        figures = _value(rows, f"{kind}, 1 server, 2 clients")
        assert float(figures.split(" ")[0]) > 0
    assert _value(rows, "ping requests/s / login page").endswith("x")
    assert float(_value(rows, "2 servers / 1 server").rstrip("x")) > 0
