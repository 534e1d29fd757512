"""P68: `qualify backup` then `qualify restore` on another installation gives a trail that
`audit verify` finds intact with the same size and root; a backup whose files or
recorded roots do not match is refused and leaves the target empty.

Driven through the command line in subprocesses, as an IT department runs it, on the
database engine of this test run (SQLite files, or PostgreSQL databases of their own)."""

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.plugins.migrated_template import MigratedTemplate, pg_admin, pg_drop, pg_server, pg_url

pytestmark = [pytest.mark.requirement("P68"), pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]


class Installation:
    """An installation driven through the command line: its own database (new, or a
    copy of the suite's migrated template) and var folder."""

    def __init__(self, folder: Path, vendor: str, migrated: MigratedTemplate | None = None):
        self.folder = folder
        folder.mkdir(parents=True)
        if vendor == "postgresql":
            self.dbname = f"qualify_ops_bk_{uuid.uuid4().hex[:10]}"
            if migrated:
                url = migrated.copy(name=self.dbname)
            else:
                pg_admin(f"CREATE DATABASE {self.dbname}")
                url = pg_url(self.dbname)
        else:
            self.dbname = None
            file = folder / "qualify.sqlite3"
            url = migrated.copy(file=file) if migrated else f"sqlite:///{file}"
        self.env = {
            **os.environ,
            "QUALIFY_VAR_DIR": str(folder),
            "QUALIFY_DATABASE_URL": url,
            "QUALIFY_SECRET_KEY": "backup-test-secret-key-" + "x" * 40,
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "qualify", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"qualify {' '.join(args)}: {result.stdout}\n{result.stderr}")
        return result

    def roots(self) -> tuple[str, str]:
        out = self.run("audit", "verify").stdout
        found = re.search(r"audit trail intact; (\d+) events, root ([0-9a-f]{64})", out)
        assert found, out
        return found.group(1), found.group(2)

    def drop(self) -> None:
        if self.dbname:
            pg_drop(self.dbname)


@pytest.fixture(scope="module")
def installations(tmp_path_factory, migrated_template):
    made = []

    def make(name, *, migrated: bool = False):
        folder = tmp_path_factory.mktemp("installation") / name
        template = migrated_template if migrated else None
        made.append(Installation(folder, connection.vendor, template))
        return made[-1]

    yield make
    for installation in made:
        installation.drop()


@pytest.fixture(scope="module")
def backed_up(installations, tmp_path_factory):
    """One installation (a copy of the migrated template) set up through the command line,
    checkpointed, with one uploaded file, and its backup: both tests read it (each command
    is a process of its own, the costliest part of each test)."""
    source = installations("source", migrated=True)
    source.run(
        "setup",
        "--no-input",
        QUALIFY_SETUP_USERNAME="admin",
        QUALIFY_SETUP_NAME="Alex Admin",
        QUALIFY_SETUP_EMAIL="admin@plant.example",
        QUALIFY_SETUP_PASSWORD="Backup-test-2026!",
        QUALIFY_SETUP_INSTALLATION="Backup test plant",
        QUALIFY_SETUP_SITE_CODE="DUB",
        QUALIFY_SETUP_SITE_NAME="Dublin",
        QUALIFY_SETUP_TIME_ZONE="Europe/Dublin",
    )
    source.run("audit", "checkpoint")
    (source.folder / "media").mkdir(exist_ok=True)
    (source.folder / "media" / "sop.txt").write_text("an uploaded file\n")
    roots = source.roots()
    backup = tmp_path_factory.mktemp("backup") / "backup"
    made = source.run("backup", "--out", str(backup)).stdout
    return roots, backup, made


@pytest.mark.slow
@pytest.mark.requirement("P208")
def test_backup_then_restore_elsewhere_verifies_with_equal_roots(backed_up, installations):
    before, backup, made = backed_up
    assert int(before[0]) > 0
    assert f"{before[0]} events, root {before[1]}" in made
    assert (backup / "manifest.json").is_file()
    assert (backup / "keys" / "site-key.pem").is_file()
    assert (backup / "keys" / "checkpoints.log").is_file()

    target = installations("target")
    restored = target.run("restore", str(backup)).stdout
    assert "the roots equal the backup's" in restored
    assert target.roots() == before
    assert (target.folder / "media" / "sop.txt").read_text() == "an uploaded file\n"
    if target.dbname:
        # P208: the restored tables are vacuumed and analysed (pg_restore copies no
        # planner statistics).
        import psycopg

        with psycopg.connect(dbname=target.dbname, **pg_server()) as conn:
            stats = conn.execute(
                "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL"
                " FROM pg_stat_user_tables WHERE relname = 'audit_event'"
            ).fetchone()
        assert stats == (True, True)

    # Restoring twice is refused: the target is no longer empty.
    again = target.run("restore", str(backup), check=False)
    assert again.returncode != 0
    assert "the database is not empty" in again.stderr


@pytest.mark.slow
def test_a_backup_that_does_not_match_is_refused_and_leaves_nothing(
    tmp_path, backed_up, installations
):
    _, backup, _ = backed_up
    altered = tmp_path / "altered"
    shutil.copytree(backup, altered)
    database = next(p for p in altered.iterdir() if p.name.startswith("database."))
    with database.open("r+b") as handle:
        handle.seek(200)
        byte = handle.read(1)
        handle.seek(200)
        handle.write(bytes([byte[0] ^ 0xFF]))
    target = installations("empty-target")
    refused = target.run("restore", str(altered), check=False)
    assert refused.returncode != 0
    assert "does not match its SHA-256" in refused.stderr

    # A manifest that claims another root: loaded, verified, found different, undone.
    claimed = tmp_path / "claimed"
    shutil.copytree(backup, claimed)
    manifest = (claimed / "manifest.json").read_text()
    manifest = re.sub(r'"root_hash": "[0-9a-f]{64}"', '"root_hash": "' + "0" * 64 + '"', manifest)
    (claimed / "manifest.json").write_text(manifest)
    refused = target.run("restore", str(claimed), check=False)
    assert refused.returncode != 0
    assert "the backup recorded" in refused.stderr
    assert not (target.folder / "checkpoint-ed25519.pem").exists()  # the key put back out
    empty = target.run("restore", str(backup))  # the target was left empty: this works
    assert "the roots equal the backup's" in empty.stdout
