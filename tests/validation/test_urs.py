"""The URS and its trace (P59)."""

from pathlib import Path

import pytest
import yaml

from qualify.validation import spec, urs

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.requirement("P59")
def test_every_urs_item_states_risk_with_reason_gamp_category_and_known_requirements():
    """Each URS item has an ID, text, regulation, a risk level with its reason, a GAMP
    category and traces to requirement IDs listed in docs/requirements.yaml."""
    items = urs.load_urs(ROOT)
    assert len(items) >= 15
    assert {item.risk for item in items} == {"high", "medium", "low"}
    for item in items:
        assert item.risk_reason
        assert item.regulation
        assert item.requirements
        assert item.gamp in urs.GAMP_CATEGORIES


@pytest.mark.requirement("P59")
def test_every_high_risk_urs_item_has_an_automated_test():
    """Every requirement of a high-risk URS item is carried by at least one test's
    requirement marker: the suite fails when one loses its last test."""
    items = urs.load_urs(ROOT)
    marked = urs.marked_requirements(ROOT / "tests")
    assert urs.untested_high_risk(items, marked) == {}


@pytest.mark.requirement("P59")
def test_a_high_risk_item_whose_requirement_lost_its_last_test_is_named(tmp_path):
    """Steps: a test tree where no test carries S2 any more; the high-risk item that
    needs S2 is reported with the missing requirement."""
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_one.py").write_text(
        "import pytest\n\n@pytest.mark.requirement('S1')\ndef test_a():\n    pass\n"
    )
    items = [i for i in urs.load_urs(ROOT) if i.id == "URS-08"]
    gaps = urs.untested_high_risk(items, urs.marked_requirements(tests))
    assert gaps == {"URS-08": ["S2", "P21"]}


@pytest.mark.requirement("P59")
def test_module_level_markers_count_as_tests(tmp_path):
    """A module's `pytestmark = pytest.mark.requirement(...)` traces every test in it."""
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_mod.py").write_text(
        "import pytest\npytestmark = [pytest.mark.requirement('A2')]\ndef test_a():\n    pass\n"
    )
    assert urs.marked_requirements(tests) == {
        "A2": ["tests/test_mod.py (every test of the module)"]
    }


@pytest.mark.requirement("P59")
def test_a_malformed_urs_is_refused_with_every_problem_named(tmp_path):
    """An unknown requirement, a risk without its reason and a bad GAMP category are
    each named; nothing is half-read."""
    (tmp_path / "docs" / "validation").mkdir(parents=True)
    (tmp_path / "docs" / "requirements.yaml").write_text(
        yaml.safe_dump({"requirements": [{"id": "Q4", "text": "x"}]})
    )
    (tmp_path / "docs" / "validation" / "urs.yaml").write_text(
        yaml.safe_dump(
            {
                "urs": [
                    {
                        "id": "URS-01",
                        "title": "t",
                        "text": "x",
                        "regulation": "r",
                        "risk": {"level": "high"},
                        "gamp": 2,
                        "requirements": ["Q4", "Z9"],
                    }
                ]
            }
        )
    )
    with pytest.raises(ValueError) as caught:
        urs.load_urs(tmp_path)
    message = str(caught.value)
    assert "Z9" in message
    assert "reason" in message
    assert "gamp" in message


@pytest.mark.requirement("P59")
def test_the_functional_specification_is_generated_and_every_urs_function_exists(db):
    """The functional specification lists the pages (with their access rule), the
    commands and the API operations; every function a URS item names is in it."""
    functions = spec.functional_specification()
    kinds = {f.kind for f in functions}
    assert {"page", "command", "api"} <= kinds
    names = spec.known_names(functions)
    assert "qualify validate" in names
    assert "web:validation_runs" in names
    page = next(f for f in functions if f.name == "web:validation_runs")
    assert "qa_approver" in page.who
    for item in urs.load_urs(ROOT):
        assert set(item.functions) <= names, item.id
