"""PQ scenarios (P60): the steps run through the real services and report what they
saw; a failing step fails its scenario and the rest is reported as not run; a
malformed customer file is refused before anything runs. Here on a small plant; the
command runs them on a scratch copy of the demo plant (CI)."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from qualify.validation import pq
from tests.personas import PASSWORD
from tests.quality.plant import Plant

pytestmark = pytest.mark.django_db
STANDARD = Path(pq.__file__).parent / "scenarios" / "standard.yaml"


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa):
    p = Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)
    p.sop = p.document("SOP-100", "Filling")
    p.approve(p.revise(p.sop, "1"), effective_from=timezone.now() - dt.timedelta(days=60))
    p.req = p.requirement("R-SOP-100", document=p.sop)
    p.matrix(p.req)
    p.trained = p.person("Tara Trained", job_function=p.operators)
    p.complete(p.trained, p.req)
    p.untrained = p.person("Una Untrained", job_function=p.operators)
    return p


def scenario(id_, *steps, urs=("URS-05",)):
    return ("test.yaml", {"id": id_, "title": id_, "urs": list(urs), "steps": list(steps)})


@pytest.mark.requirement("P60", "G3", "E1", "E2", "Q4")
def test_the_standard_steps_pass_on_a_plant_that_behaves(plant, doc_controller, qa):
    """Steps: a revision is approved and retraining assigned; the gate refuses the
    untrained person and allows the trained one; the inspector's question is answered
    with the record; a CAPA is refused closure while open and closes once verified;
    the audit trail verifies afterwards."""
    trained, untrained = plant.trained.user.username, plant.untrained.user.username
    results = pq.run_scenarios(
        [
            scenario(
                "PQ-T1",
                {
                    "revise_document": {
                        "document": "SOP-100",
                        "author": doc_controller.username,
                        "reviewer": plant.reviewer.username,
                        "approver": qa.username,
                    }
                },
                {"expect_assignments": {"document": "SOP-100", "at_least": 2}},
                {"gate": {"person": untrained, "document": "SOP-100", "expect": "refused"}},
                {"gate": {"person": trained, "document": "SOP-100", "expect": "allowed"}},
                {
                    "inspector_question": {
                        "person": trained,
                        "document": "SOP-100",
                        "expect": "qualified",
                    }
                },
                {"capa_closes": {"number": "CAPA-2026-901", "qa": qa.username}},
                {"audit_verify": {}},
            )
        ],
        password=PASSWORD,
    )
    (result,) = results
    assert [s.outcome for s in result.steps] == ["passed"] * 7, [s.said for s in result.steps]
    assert result.ok
    said = {s.step: s.said for s in result.steps}
    assert "open assignments of SOP-100 rev 2" in said["expect_assignments"]
    assert "record" in said["inspector_question"]
    assert "closure refused while open" in said["capa_closes"]
    assert "intact" in said["audit_verify"]


@pytest.mark.requirement("P60")
def test_a_failing_step_fails_its_scenario_and_the_rest_is_not_run(plant):
    """Steps: a scenario expects the gate to allow an untrained person; that step fails
    with the gate's reason; the following step is reported as not run."""
    untrained = plant.untrained.user.username
    (result,) = pq.run_scenarios(
        [
            scenario(
                "PQ-T2",
                {"gate": {"person": untrained, "document": "SOP-100", "expect": "allowed"}},
                {"audit_verify": {}},
            )
        ],
        password=PASSWORD,
    )
    assert not result.ok
    assert [s.outcome for s in result.steps] == ["failed", "not run"]
    assert "refused" in result.steps[0].said


@pytest.mark.requirement("P60")
def test_a_step_naming_something_absent_fails_with_what_was_missing(plant):
    """An unknown person or document is a failed step naming it, never a crash."""
    (result,) = pq.run_scenarios(
        [
            scenario(
                "PQ-T3", {"gate": {"person": "nobody", "document": "SOP-100", "expect": "refused"}}
            )
        ],
        password=PASSWORD,
    )
    assert result.steps[0].outcome == "failed"
    assert "nobody" in result.steps[0].said


@pytest.mark.requirement("P60")
def test_a_customer_file_with_an_unknown_step_is_refused_before_anything_runs(tmp_path):
    """A customer's scenario naming an unknown step is refused with the known steps."""
    bad = tmp_path / "mine.yaml"
    bad.write_text("scenarios:\n- id: C-1\n  steps:\n  - launch_rocket: {}\n")
    with pytest.raises(ValueError, match="unknown step 'launch_rocket'"):
        pq.load_scenarios([bad])
    assert len(pq.load_scenarios([STANDARD])) == 5
