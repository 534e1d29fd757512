"""P142: `qualify validate` shows the OQ's progress. The OQ runs pytest in a child
process; the plugin keeps the count of tests finished against the tests to run in a
file the parent polls, with and without pytest-xdist workers."""

import json

import pytest

from qualify.validation import oq

pytestmark = [pytest.mark.requirement("P142"), pytest.mark.engine_free]

SAMPLE = """
import pytest

@pytest.mark.parametrize("n", range(4))
def test_counted(n):
    assert n >= 0

@pytest.mark.skipif(True, reason="skipped tests are finished too")
def test_skipped():
    pass
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two workers"])
def test_the_progress_file_counts_every_test_finished_against_those_to_run(pytester, workers):
    pytester.makepyfile(test_sample=SAMPLE)
    progress = pytester.path / "progress.json"
    result = pytester.runpytest_subprocess(
        "-p",
        "qualify.validation.oq_plugin",
        f"--oq-progress={progress}",
        "-p",
        "no:django",
        *workers,
    )
    result.assert_outcomes(passed=4, skipped=1)
    assert json.loads(progress.read_text()) == {"done": 5, "total": 5}
    assert oq.read_progress(progress) == (5, 5)


def test_before_the_child_writes_the_progress_is_unknown(tmp_path):
    assert oq.read_progress(tmp_path / "not-yet.json") == (0, None)
    (tmp_path / "half.json").write_text('{"done": 3')  # never seen: written by rename
    assert oq.read_progress(tmp_path / "half.json") == (0, None)


def test_the_oq_run_reports_its_progress_to_the_caller_until_the_last_test(tmp_path):
    """The parent polls while the child runs and reads the file once more at the end."""
    source = tmp_path / "source"
    (source / "tests").mkdir(parents=True)
    (source / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\nmarkers = ['requirement(*ids): ids']\n"
    )
    (source / "tests" / "test_slowish.py").write_text(
        "import time, pytest\n\n"
        "@pytest.mark.requirement('X1')\n"
        "@pytest.mark.parametrize('n', range(3))\n"
        "def test_takes_a_moment(n):\n"
        "    time.sleep(0.4)\n"
    )
    seen: list[tuple[int, int | None]] = []
    _command, code, _seconds, tail = oq.run_tests(
        source=source,
        out=tmp_path / "out",
        requirements=None,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert code == 0, tail
    assert seen[-1] == (3, 3)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert "3 passed" in (tmp_path / "out" / "oq-pytest-output.txt").read_text()
