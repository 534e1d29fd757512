"""PQ runs in a scratch database of its own (P92), on SQLite and on PostgreSQL: migrated,
loaded with the demo plant, the scenarios run there in child processes, and the scratch
database dropped afterwards; the installation's own data is not touched. The smallest
useful scenario (the gate refuses an untrained operator on the demo plant) on the
smallest demo staffing, so the test takes a minute or two, not the PQ's quarter hour."""

import pytest
from django.db import connection

from qualify.audit.models import AuditEvent
from qualify.validation import pq

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


@pytest.mark.requirement("P92", "P60")
def test_pq_runs_in_a_scratch_database_and_leaves_the_installation_alone(tmp_path, monkeypatch):
    """Steps: run one scenario isolated; it passes on the scratch demo plant (the gate
    refuses the operator, naming the reason); no error; the installation's audit trail
    did not grow; on PostgreSQL the scratch database `<name>_validation_pq` existed
    only during the run; on SQLite it is a file in the pack's pq folder."""
    scenarios = tmp_path / "small.yaml"
    scenarios.write_text(SCENARIO, encoding="utf-8")
    events_before = AuditEvent.objects.count()
    urls = []
    scratch = pq._scratch_database

    def noted(folder):
        url, cleanup = scratch(folder)
        urls.append(url)
        return url, cleanup

    monkeypatch.setattr(pq, "_scratch_database", noted)
    results, error, seconds = pq.run_isolated(
        out=tmp_path / "pack", scenario_files=[scenarios], people_per_function=1
    )
    log = (tmp_path / "pack" / "pq" / "pq-output.txt").read_text(encoding="utf-8")
    assert error == "", log[-3000:]
    (result,) = results
    assert result["id"] == "PQ-S1"
    assert [s["outcome"] for s in result["steps"]] == ["passed"], result
    assert "refused operator on SOP-045" in result["steps"][0]["said"]
    assert AuditEvent.objects.count() == events_before
    assert "$ qualify migrate" in log
    assert "$ qualify seed --scale demo" in log
    (url,) = urls
    if connection.vendor == "postgresql":
        name = f"{connection.settings_dict['NAME']}_validation_pq"
        assert url.startswith("postgres://")
        assert url.endswith(f"/{name}")
        assert not _scratch_exists(name), f"{name} was not dropped"
    else:
        assert url == f"sqlite:///{tmp_path / 'pack' / 'pq' / 'pq-plant.sqlite3'}"
        assert (tmp_path / "pack" / "pq" / "pq-plant.sqlite3").is_file()
    assert seconds > 0
