"""The demo plant the browser journeys run on, built once and cached under
var/browser/ keyed by a hash of the code that shapes it, so page work reuses the
cached plant and a model, service or seed change rebuilds it.

`python -m tests.browser.demo_plant` builds it; the browser conftest starts that in
the background as soon as a run has collected browser journeys, so the build (a few
minutes) overlaps the rest of the suite instead of stalling the workers at the first
journey. Whoever holds the lock builds; the others wait, then find it built."""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "var" / "browser"


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((REPO / "qualify").rglob("*.py")):
        if "web" not in path.relative_to(REPO / "qualify").parts[:1]:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def app_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUALIFY_")}
    env.update(
        QUALIFY_VAR_DIR=str(var_dir),
        QUALIFY_DATABASE_URL=f"sqlite:///{var_dir / 'qualify.sqlite3'}",
        QUALIFY_DEBUG="false",
        QUALIFY_SECRET_KEY="browser-tests-only",
        QUALIFY_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONPATH=str(REPO),
    )
    return env


def _qualify(var_dir: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "qualify", *args],
        env=app_env(var_dir),
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def pristine() -> Path:
    return CACHE / f"demo-{fingerprint()}"


def _migrated(building: Path, template_folder: Path | None) -> None:
    """The new plant's database, migrated: a copy of the test run's migrated template
    (tests/plugins/migrated_template.py) when the run's database is SQLite too, which
    saves a migration of the CI's SQLite pass; else migrated here."""
    if template_folder is not None:
        from tests.plugins.migrated_template import MigratedTemplate

        template = MigratedTemplate(template_folder)
        if template.vendor == "sqlite":
            template.copy(file=building / "qualify.sqlite3")
            return
    _qualify(building, "migrate", "--no-input")


def build(template_folder: Path | None = None) -> Path:
    """The cached demo plant, built first if missing (by this process or, when
    another holds the lock, by that one)."""
    target = pristine()
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "qualify.sqlite3").exists():
            building = CACHE / f"building-{os.getpid()}"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir(parents=True)
            _migrated(building, template_folder)
            _qualify(building, "seed", "--scale", "demo")
            _qualify(building, "collectstatic", "--no-input")
            shutil.rmtree(target, ignore_errors=True)
            building.rename(target)
    return target


def start_in_background(template_folder: Path) -> None:
    """Start `build()` in a process of its own unless the plant is cached already."""
    if (pristine() / "qualify.sqlite3").exists():
        return
    log = CACHE / "build.log"
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.Popen(
        [sys.executable, "-m", "tests.browser.demo_plant", str(template_folder)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=log.open("a"),
        start_new_session=True,
    )


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
