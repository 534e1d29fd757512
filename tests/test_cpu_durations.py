"""`--cpu-durations` (tests/plugins/cpu_durations.py) names the tests that took the most
processor time, with or without pytest-xdist, counting the child processes a test waited
for: CI's figures for keeping it under 30 minutes come from it."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SAMPLE = f"""
import subprocess, sys

def test_busy():
    sum(range(20_000_000))

def test_busy_child():
    subprocess.run([{sys.executable!r}, "-c", "sum(range(20_000_000))"], check=True)

def test_idle():
    import time
    time.sleep(0.5)
"""


@pytest.mark.engine_free
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two workers"])
def test_the_tests_that_took_the_most_processor_time_are_named_first(
    pytester, monkeypatch, workers
):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess(
        "-p", "no:django", "-p", "no:cacheprovider", "-p", "tests.plugins.cpu_durations",
        "--cpu-durations=0", *workers,
    )  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    lines = result.stdout.str().splitlines()
    start = next(i for i, line in enumerate(lines) if "most processor time" in line)
    shown = [line.split() for line in lines[start + 1 : start + 4]]
    seconds = {nodeid.split("::")[1]: float(figure.rstrip("s")) for figure, nodeid in shown}
    # In that order: the sleeping test waits half a second and burns next to nothing;
    # the other two each add up twenty million numbers, one in a child process.
    assert list(seconds) in (
        ["test_busy", "test_busy_child", "test_idle"],
        ["test_busy_child", "test_busy", "test_idle"],
    )
    assert seconds["test_busy_child"] > seconds["test_busy"] / 2 > seconds["test_idle"]
