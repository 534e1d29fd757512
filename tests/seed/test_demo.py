"""The demo plant: replayed through the services, quality events included.

A reduced plant (one member of staff per job function) keeps this quick; the whole
demo is loaded by `make demo` and checked by hand (docs/benchmarks.md, Seeding).
"""

import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from qualify.audit.verify import verify_trail
from qualify.quality.models import (
    Capa,
    CapaStatus,
    ChangeControl,
    ChangeControlStatus,
    Deviation,
    DeviationSnapshot,
    DeviationStatus,
    Execution,
)
from qualify.quality.tasks import run_reminders
from qualify.training.models import RequalificationOrder

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(reduced_demo):
    return reduced_demo


@pytest.mark.slow
@pytest.mark.requirement("P14")
@pytest.mark.requirement("A4")
def test_the_reduced_demo_loads_through_the_services_and_its_trail_verifies(demo):
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]
    assert report.tree_size > 1000


@pytest.mark.slow
@pytest.mark.requirement("E2")
@pytest.mark.requirement("E1")
def test_the_demo_holds_open_and_closed_quality_events_with_their_training(demo):
    statuses = dict(ChangeControl.objects.values_list("number", "status"))
    assert sorted(statuses.values()) == [ChangeControlStatus.APPROVED, ChangeControlStatus.CLOSED]
    open_cc = ChangeControl.objects.get(status=ChangeControlStatus.APPROVED)
    assert open_cc.revisions.get().version.document.number == "SOP-014"
    assert sorted(Capa.objects.values_list("status", flat=True)) == [
        CapaStatus.CLOSED,
        CapaStatus.OPEN,
    ]
    closed_capa = Capa.objects.get(status=CapaStatus.CLOSED)
    assert closed_capa.root_cause_category == "training"
    assert closed_capa.actions.get().effectiveness_check == "assessment"
    automatic = Deviation.objects.get(automatic=True)
    assert automatic.status == DeviationStatus.OPEN
    snapshot = DeviationSnapshot.objects.filter(deviation=automatic).first()
    assert snapshot is not None
    assert not snapshot.qualified_as_known_then
    manual = Deviation.objects.get(automatic=False)
    assert manual.status == DeviationStatus.CLOSED
    assert RequalificationOrder.objects.filter(source=manual.source_key).exists()
    assert Execution.objects.values("batch").distinct().count() == 2


@pytest.mark.slow
@pytest.mark.requirement("P14")
def test_qualify_scheduler_sends_the_demos_reminders(demo):
    out = StringIO()
    call_command("scheduler", stdout=out)
    assert "training.recurrence:" in out.getvalue()
    assert "digest(s) sent" in out.getvalue()
    assert any("Overdue" in m.body for m in mail.outbox)
    # At most one a day, each notice once.
    assert run_reminders() == {"lost": 0, "digests": 0, "effectiveness_due": 0}


def _fingerprint(path: Path) -> dict:
    with sqlite3.connect(path) as db:
        queries = {
            "records": "SELECT p.employee_number, r.code, v.revision FROM training_trainingrecord t"
            " JOIN org_person p ON p.id = t.person_id JOIN training_requirement r"
            " ON r.id = t.requirement_id LEFT JOIN documents_documentversion v"
            " ON v.id = t.document_version_id",
            "assignments": "SELECT p.employee_number, r.code, a.status, a.reason"
            " FROM training_assignment a JOIN org_person p ON p.id = a.person_id"
            " JOIN training_requirement r ON r.id = a.requirement_id",
            "quality": "SELECT number, status FROM quality_changecontrol UNION ALL"
            " SELECT number, status FROM quality_capa UNION ALL"
            " SELECT number, status FROM quality_deviation",
            "events": "SELECT action, COUNT(*) FROM audit_event GROUP BY action",
        }
        return {name: sorted(db.execute(sql).fetchall()) for name, sql in queries.items()}


def _seed(tmp: Path, seed: int) -> dict:
    env = {
        **os.environ,
        "QUALIFY_VAR_DIR": str(tmp),
        "QUALIFY_DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
    }
    for args in (
        ["migrate", "-v0"],
        ["seed", "--scale", "demo", "--seed", str(seed), "--people-per-function", "1"],
    ):
        subprocess.run(
            [sys.executable, "-m", "qualify", *args, "--settings", "tests.seed.fast_settings"],
            env=env,
            cwd=REPO,
            check=True,
        )
    return _fingerprint(tmp / "demo.sqlite3")


@pytest.mark.own_sqlite
@pytest.mark.slow
@pytest.mark.requirement("P14")
def test_the_demo_is_the_same_for_the_same_seed(tmp_path):
    """Two loads in fresh databases, in separate processes (the demo signs through
    the real signing service, which refuses to run inside an open transaction, so two
    loads cannot share the test database)."""
    first = _seed(tmp_path / "one", 11)
    second = _seed(tmp_path / "two", 11)
    assert first == second
    assert len(first["records"]) > 100
