"""Releases (P61): semantic version, CHANGELOG with risk per change, `qualify
--version`, the system.upgraded event with the lock hash, `--since`."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import qualify
from qualify.audit import services as audit
from qualify.audit import system
from qualify.audit.models import AuditEvent
from qualify.validation import releases, urs

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.requirement("P61")
def test_the_version_is_semantic_and_the_same_everywhere():
    """pyproject.toml, qualify.__version__ and the newest CHANGELOG release agree."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert declared == qualify.__version__
    releases.parse_version(declared)
    history = releases.read_changelog(ROOT / "CHANGELOG.md")
    assert history[0].version == declared


@pytest.mark.requirement("P61")
def test_every_change_names_known_urs_items_its_risk_and_what_was_retested():
    """Each CHANGELOG change names URS items that exist, its risk, and requirement IDs
    (or "all") that exist."""
    items = {item.id for item in urs.load_urs(ROOT)}
    known = set(urs.listed_requirements(ROOT))
    for release in releases.read_changelog(ROOT / "CHANGELOG.md"):
        for change in release.changes:
            assert set(change.urs) <= items, change.title
            assert change.risk, change.title
            assert change.retested == ["all"] or set(change.retested) <= known, change.title


@pytest.mark.requirement("P61")
def test_a_change_without_urs_items_is_refused(tmp_path):
    """A change that names no URS item would re-validate nothing: refused, named."""
    log = tmp_path / "CHANGELOG.md"
    log.write_text("## [1.0.0] - 2026-01-01\n\n### Quiet change\n- Risk: low\n")
    with pytest.raises(ValueError, match="Quiet change"):
        releases.read_changelog(log)


@pytest.mark.requirement("P61")
def test_qualify_version_prints_the_release():
    """`qualify --version` prints the release's version, not Django's."""
    out = subprocess.run(
        [sys.executable, "-m", "qualify", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"qualify {qualify.__version__}"


@pytest.mark.requirement("P61", "A1")
def test_an_upgrade_records_old_and_new_version_and_the_lock_hash(db):
    """Steps: the trail holds an upgrade to 0.1.0; the code now runs a new version;
    migrate's hook records system.upgraded with both versions and the lock's SHA-256."""
    audit.record(
        "system.upgraded",
        object_type="system",
        object_id="qualify",
        actor=None,
        detail={"old_version": "not recorded", "new_version": "0.1.0", "migrations": []},
    )
    system.record_upgrade(migrations=[])
    event = AuditEvent.objects.filter(action=system.UPGRADED).order_by("-seq").first()
    detail = event.data["detail"]
    assert detail["old_version"] == "0.1.0"
    assert detail["new_version"] == qualify.__version__
    assert detail["lock_sha256"] == releases.lock_hash(ROOT)
    assert len(detail["lock_sha256"]) == 64


@pytest.mark.requirement("P61")
def test_since_a_version_selects_the_requirements_of_the_urs_items_touched(tmp_path):
    """Steps: two releases after 1.0.0 touch URS-08 and URS-09; --since 1.0.0 selects
    their requirements and the re-tested IDs, and nothing of an older release."""
    log = tmp_path / "CHANGELOG.md"
    log.write_text(
        "## [1.2.0] - 2026-03-01\n### B\n- URS: URS-09\n- Risk: high\n- Re-tested: A2\n"
        "## [1.1.0] - 2026-02-01\n### A\n- URS: URS-08\n- Risk: high\n- Re-tested: S1\n"
        "## [1.0.0] - 2026-01-01\n### Old\n- URS: URS-15\n- Risk: low\n- Re-tested: L1\n"
    )
    items = urs.load_urs(ROOT)
    history = releases.read_changelog(log)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(releases, "version", lambda: "1.2.0")
        impact = releases.impacted_since(
            history, "1.0.0", urs_requirements=urs.requirements_by_urs(items)
        )
        assert impact.releases == ["1.2.0", "1.1.0"]
        assert impact.urs == {"URS-08", "URS-09"}
        assert {"S1", "S2", "A1", "A2", "A3"} <= impact.requirements
        assert "L1" not in impact.requirements
        with pytest.raises(ValueError, match="later than"):
            releases.impacted_since(history, "2.0.0", urs_requirements={})
