"""Scratch databases of a validation run, on SQLite and PostgreSQL.

One migration per validation run (P121): `qualify validate` migrates a scratch
template once and copies it for each OQ worker's test database and for the PQ plant,
then removes the template and the copies (the SQLite plant stays in the pack as
evidence). PQ runs in a scratch database of its own (P92): loaded with the demo plant,
the scenarios run there in child processes, the installation's own data untouched.

Both are shown by one narrowed run (one sample test on two xdist workers, one small
scenario on the smallest demo staffing): each run migrates and seeds a plant, the
suite's costliest step, so the PQ's own checks read the same run rather than repeat it
(each pass of CI did both, a minute of processor time apiece). The PQ called without a
template migrates its scratch database itself; `plant_database` makes that choice,
checked here without a run."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from qualify.audit.models import AuditEvent
from qualify.validation import pq
from tests.validation.conftest import SAMPLES

pytestmark = pytest.mark.django_db

SCENARIO = """\
scenarios:
- id: PQ-S1
  title: The gate blocks work on a procedure the person was never trained on
  urs: [URS-05]
  steps:
  - gate: {person: operator, document: SOP-045, expect: refused}
"""


def _scratch_exists(name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _watch_pq(monkeypatch) -> dict:
    """What the run's PQ returned and the plant URL it used, with the installation's
    audit events counted just before and after it."""
    seen: dict = {"urls": []}
    run, plant = pq.run_isolated, pq.plant_database

    def watched_run(**kwargs):
        seen["events_before"] = AuditEvent.objects.count()
        seen["returned"] = run(**kwargs)
        seen["events_after"] = AuditEvent.objects.count()
        return seen["returned"]

    def watched_plant(template, folder):
        url, cleanup, steps = plant(template, folder)
        seen["urls"].append(url)
        return url, cleanup, steps

    monkeypatch.setattr(pq, "run_isolated", watched_run)
    monkeypatch.setattr(pq, "plant_database", watched_plant)
    return seen


@pytest.mark.requirement("P121", "P92", "P60")
def test_oq_workers_and_the_pq_plant_are_copies_of_one_migrated_template(
    production, tmp_path, monkeypatch
):
    """Steps: validate with a sample test that checks its own database and one PQ
    scenario, on two OQ workers; the pack passes; the sample ran on a worker's copy
    holding every append-only trigger; the PQ ran without a migration of its own, in
    its scratch plant (`<name>_validation_pq` on PostgreSQL, a file in the pack's pq
    folder on SQLite); the scenario passed there (the gate refuses the operator, naming
    the reason) and the installation's audit trail did not grow while it ran;
    afterwards the template, the OQ copies and the PostgreSQL plant are gone."""
    scenarios = tmp_path / "small.yaml"
    scenarios.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "pack"
    stdout = io.StringIO()
    seen = _watch_pq(monkeypatch)
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

    scenario_results, error, seconds = seen["returned"]
    assert error == "", plant_log[-3000:]
    (result,) = scenario_results
    assert result["id"] == "PQ-S1"
    assert [s["outcome"] for s in result["steps"]] == ["passed"], result
    assert "refused operator on SOP-045" in result["steps"][0]["said"]
    assert seen["events_after"] == seen["events_before"]
    assert seconds > 0
    (url,) = seen["urls"]

    if connection.vendor == "postgresql":
        base = connection.settings_dict["NAME"]
        assert url.startswith("postgres://")
        assert url.endswith(f"/{base}_validation_pq")
        for name in (
            f"{base}_validation_template",
            f"{base}_validation_oq_gw0",
            f"{base}_validation_oq_gw1",
            f"{base}_validation_pq",
        ):
            assert not _scratch_exists(name), f"{name} was not dropped"
    else:
        assert url == f"sqlite:///{out / 'pq' / 'pq-plant.sqlite3'}"
        assert not list((out / "scratch").glob("scratch-template.sqlite3*"))
        assert not list(out.glob("oq-db.sqlite3*"))
        assert (out / "pq" / "pq-plant.sqlite3").is_file()


@pytest.mark.requirement("P92")
def test_without_a_template_the_pq_plant_is_a_scratch_database_it_migrates(tmp_path):
    """Steps: ask for the PQ plant with no template; it is an empty scratch database of
    its own (`<name>_validation_pq` on PostgreSQL, created then; a file in the pq
    folder on SQLite) whose first step is `qualify migrate`; the cleanup drops the
    PostgreSQL database."""
    url, cleanup, steps = pq.plant_database(None, tmp_path)
    assert steps == [["migrate", "--no-input"]]
    if connection.vendor == "postgresql":
        name = f"{connection.settings_dict['NAME']}_validation_pq"
        assert url.startswith("postgres://")
        assert url.endswith(f"/{name}")
        assert _scratch_exists(name)
        cleanup()
        assert not _scratch_exists(name), f"{name} was not dropped"
    else:
        assert url == f"sqlite:///{tmp_path / 'pq-plant.sqlite3'}"
        assert not list(tmp_path.glob("pq-plant.sqlite3*"))
        cleanup()
