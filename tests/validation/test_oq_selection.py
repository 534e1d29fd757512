"""What a full OQ runs and what it leaves out (P122): the tests that carry no
requirement are not evidence of anything traced; slow tests and browser journeys are
left out unless one is the sole evidence of a high-risk requirement; each test left
out is listed with its reason. Runs the OQ plugin on a small generated test file
(pytester), no database."""

import json

import pytest

pytestmark = pytest.mark.engine_free

SAMPLE = """
import pytest

@pytest.mark.requirement("H1")
def test_fast_h1():
    pass

@pytest.mark.slow
@pytest.mark.requirement("H1")
def test_slow_h1_covered_elsewhere():
    pass

@pytest.mark.slow
@pytest.mark.requirement("H2")
def test_slow_sole_evidence_of_h2():
    pass

@pytest.mark.skipif(True, reason="needs another database")
@pytest.mark.requirement("H3")
def test_h3_skipped_on_this_database():
    pass

@pytest.mark.slow
@pytest.mark.requirement("H3")
def test_slow_h3_whose_other_test_skips_here():
    pass

@pytest.mark.browser
@pytest.mark.requirement("L1")
def test_browser_of_a_low_risk_requirement():
    pass

def test_without_requirement():
    pass
"""


def run_selection(pytester, *extra):
    pytester.makeini(
        "[pytest]\nmarkers =\n    requirement(*ids): ids\n    slow: slow\n    browser: browser\n"
    )
    pytester.makepyfile(test_sample=SAMPLE)
    evidence = pytester.path / "evidence.jsonl"
    left = pytester.path / "left.json"
    result = pytester.runpytest_subprocess(
        "-p",
        "qualify.validation.oq_plugin",
        f"--oq-evidence={evidence}",
        f"--oq-left-out={left}",
        "-p",
        "no:randomly",
        *extra,
    )
    ran = {json.loads(line)["nodeid"].split("::")[1] for line in evidence.read_text().splitlines()}
    left_out = {row["nodeid"].split("::")[1]: row["reason"] for row in json.loads(left.read_text())}
    return result, ran, left_out


@pytest.mark.requirement("P122", "P62")
def test_slow_and_browser_tests_are_left_out_unless_sole_evidence_of_a_high_risk_item(pytester):
    """Steps: the OQ plugin runs a file with a fast and a slow test of high-risk H1, a
    slow test that alone carries high-risk H2, a browser journey of low-risk L1 and a
    test without requirement, leaving out slow and browser tests and keeping the sole
    evidence of H1 and H2, and a slow test of H3 whose only other test skips on this
    database. The fast H1 test, the sole H2 test and the slow H3 test run; the other
    three are listed as left out, each with its reason."""
    result, ran, left_out = run_selection(
        pytester, "--oq-marked-only", "--oq-leave-out=slow,browser", "--oq-keep-sole=H1,H2,H3"
    )
    result.assert_outcomes(passed=3, skipped=1, deselected=3)
    assert ran == {
        "test_fast_h1",
        "test_slow_sole_evidence_of_h2",
        "test_h3_skipped_on_this_database",
        "test_slow_h3_whose_other_test_skips_here",
    }
    assert set(left_out) == {
        "test_slow_h1_covered_elsewhere",
        "test_browser_of_a_low_risk_requirement",
        "test_without_requirement",
    }
    covered = left_out["test_slow_h1_covered_elsewhere"]
    assert "high-risk requirements (H1) have other tests" in covered
    assert (
        "no high-risk URS item depends on it alone (requirements L1)"
        in (left_out["test_browser_of_a_low_risk_requirement"])
    )
    assert left_out["test_without_requirement"].startswith("carries no requirement marker")


@pytest.mark.requirement("P122")
def test_without_leave_out_options_every_test_runs_and_nothing_is_listed(pytester):
    """`qualify validate --oq-all` or a named list of tests: nothing is left out, so the
    list the pack renders is empty."""
    result, ran, left_out = run_selection(pytester, "--oq-marked-only", "--oq-keep-sole=H1")
    result.assert_outcomes(passed=5, skipped=1, deselected=1)
    assert "test_slow_sole_evidence_of_h2" in ran
    assert list(left_out) == ["test_without_requirement"]


NESTED = """
from hypothesis import given, settings, strategies as st

def test_two_properties_inside_one_test():
    for examples in (10, 15):
        @settings(max_examples=examples, database=None)
        @given(st.integers())
        def holds(n):
            assert n == n

        holds()
"""


@pytest.mark.requirement("P123", "P62")
def test_a_test_running_several_properties_reports_the_examples_of_all(pytester):
    """Property tests report the number of examples run, also when one test runs
    several properties inside it (the API fuzz runs one per operation). Steps: a test
    runs a property of 10 examples and then one of 15; its OQ evidence says 25
    passing examples over 2 property runs, not the last run's 15."""
    pytester.makepyfile(test_nested=NESTED)
    evidence = pytester.path / "evidence.jsonl"
    result = pytester.runpytest_subprocess(
        "-p", "qualify.validation.oq_plugin", f"--oq-evidence={evidence}", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=1)
    (entry,) = [json.loads(line) for line in evidence.read_text().splitlines()]
    assert entry["hypothesis"] == {"passing": 25, "failing": 0, "invalid": 0, "runs": 2}
