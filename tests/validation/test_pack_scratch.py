"""One migration per validation run (P121): `qualify validate` migrates a scratch
template once and copies it for each OQ worker's test database and for the PQ plant,
then removes the template and the copies (the SQLite plant stays in the pack as
evidence). A narrowed run, so it costs about what test_pq_scratch.py does: one
sample test on two xdist workers, one small scenario on the smallest demo staffing.
Runs on SQLite and PostgreSQL."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from tests.validation.conftest import SAMPLES
from tests.validation.test_pq_scratch import SCENARIO, _scratch_exists

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("P121", "P92", "P60")
def test_oq_workers_and_the_pq_plant_are_copies_of_one_migrated_template(production, tmp_path):
    """Steps: validate with a sample test that checks its own database and one PQ
    scenario, on two OQ workers; the pack passes; the sample ran on a worker's copy
    holding every append-only trigger; the PQ ran without a migration of its own;
    afterwards the template and the OQ copies are gone (on PostgreSQL the plant's
    database too)."""
    scenarios = tmp_path / "small.yaml"
    scenarios.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "pack"
    stdout = io.StringIO()
    try:
        call_command(
            "validate",
            out=str(out),
            no_pq=True,
            scenarios=[str(scenarios)],
            pq_people_per_function=1,
            oq_tests=[str(SAMPLES / "sample_database.py")],
            workers=2,
            stdout=stdout,
        )
    except SystemExit as exc:
        results = json.loads((out / "results.json").read_text())
        pytest.fail(f"exit {exc.code}: {results['deviations']}\n{stdout.getvalue()}")
    said = stdout.getvalue()
    assert "Scratch database template" in said
    assert "on 2 workers" in said
    results = json.loads((out / "results.json").read_text())
    (test,) = results["oq"]["tests"]
    assert test["outcome"] == "passed", test["message"]
    assert results["oq"]["workers"] == 2
    assert [s["id"] for s in results["pq"]["scenarios"]] == ["PQ-S1"]
    plant_log = (out / "pq" / "pq-output.txt").read_text(encoding="utf-8")
    assert "$ qualify migrate" not in plant_log
    assert "$ qualify seed --scale demo" in plant_log
    if connection.vendor == "postgresql":
        base = connection.settings_dict["NAME"]
        for name in (
            f"{base}_validation_template",
            f"{base}_validation_oq_gw0",
            f"{base}_validation_oq_gw1",
            f"{base}_validation_pq",
        ):
            assert not _scratch_exists(name), f"{name} was not dropped"
    else:
        assert not list((out / "scratch").glob("scratch-template.sqlite3*"))
        assert not list(out.glob("oq-db.sqlite3*"))
        assert (out / "pq" / "pq-plant.sqlite3").is_file()
