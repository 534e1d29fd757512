from pathlib import Path

import pytest

from tests.plugins.requirements import listed_requirement_ids

pytestmark = pytest.mark.engine_free

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.requirement("P3")
def test_every_design_rule_is_listed_as_a_requirement():
    design = {"T1", "T2", "T3", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "E1", "E2"}
    design |= {f"G{i}" for i in range(1, 8)} | {"E3", "E4", "R1"}
    design |= {"A1", "A2", "A3", "A4", "S1", "S2", "U1", "U2"}
    # Rules added to DESIGN.md since the first release.
    design |= {"Q9", "Q10", "E5", "A5", "A6", "R2", "U3", "U4", "L1", "L2", "L3", "L4"}
    assert design <= listed_requirement_ids()


@pytest.mark.requirement("P3")
def test_a_marker_naming_an_unlisted_requirement_fails_the_run(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile("import pytest\n@pytest.mark.requirement('Z99')\ndef test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:django", "-p", "no:cacheprovider", "-p", "tests.plugins.requirements"
    )
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*Z99*"])


@pytest.mark.requirement("P3")
def test_a_listed_marker_runs_and_is_traced(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile("import pytest\n@pytest.mark.requirement('A2')\ndef test_x():\n    pass\n")
    matrix = tmp_path / "matrix.md"
    result = pytester.runpytest_subprocess(
        "-p",
        "no:django",
        "-p",
        "no:cacheprovider",
        "-p",
        "tests.plugins.requirements",
        f"--traceability={matrix}",
    )
    result.assert_outcomes(passed=1)
    assert (
        "| A2 | `test_a_listed_marker_runs_and_is_traced.py::test_x` | passed |"
        in matrix.read_text()
    )
