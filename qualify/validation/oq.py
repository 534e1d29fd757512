"""OQ (P60, P62): the requirement-marked tests run against the installed code, in a
scratch database, and their results read per test, per requirement and per URS item.

Where the tests come from: the wheel installs the `qualify` package only; the tests
are in the release's source (the git checkout or the source archive, which carries
tests/, docs/ and requirements/). `qualify validate --source DIR` names it (by default
the checkout the package runs from); IQ checks that the source is the same version as
the installed code. The tests import the installed `qualify` (the source's copy is
not put first on the path unless it *is* the installed one, an editable install).

The environment: the child gets the database URL and nothing else of the
installation's QUALIFY_* configuration (IQ checks that); its own key folder is
`oq-var/` in the pack.

The scratch database: pytest-django's test database, named QUALIFY_TEST_DATABASE_NAME
(a file `oq-db.sqlite3` in the pack's folder for SQLite; `<name>_validation_oq` on the
installation's PostgreSQL server), `_gw0`, `_gw1`… per xdist worker. Given a
migrated template (scratch.py, P121) each worker's database is a copy of it made
before pytest starts, and pytest reuses it (`--reuse-db`) instead of migrating again;
the run drops them. Without a template pytest-django creates and migrates its own
(in memory for SQLite). Either way the installation's data is never touched.

What the full OQ leaves out, and says so (P122): the tests that carry no requirement,
and the slow tests and browser journeys unless one is the sole evidence of a
high-risk URS item's requirement (oq_plugin); `left_out` lists each with its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from qualify.validation import scratch
from qualify.validation.urs import UrsItem

PASSED = "passed"


@dataclass
class TestEvidence:
    nodeid: str
    outcome: str
    duration: float
    requirements: list[str]
    doc: str
    message: str = ""
    hypothesis: dict | None = None

    @property
    def ok(self) -> bool:
        # A skipped test demonstrates nothing, but is no failure (a PostgreSQL-only test
        # on SQLite); the requirement still needs a passing one.
        return self.outcome in (PASSED, "skipped")


@dataclass
class OqResult:
    command: list[str]
    exit_code: int
    seconds: float
    tests: list[TestEvidence]
    selection: str
    by_requirement: dict[str, list[TestEvidence]] = field(default_factory=dict)
    requirement_status: dict[str, str] = field(default_factory=dict)
    urs_status: dict[str, str] = field(default_factory=dict)
    output_tail: str = ""
    workers: int = 0
    left_out: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> list[TestEvidence]:
        return [t for t in self.tests if not t.ok]

    @property
    def ok(self) -> bool:
        bad_urs = [s for s in self.urs_status.values() if s == "FAIL"]
        return self.exit_code in (0, 5) and not self.failed and not bad_urs and bool(self.tests)


def scratch_database_name() -> str | None:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return None
    return f"{db['NAME']}_validation_oq"


# Left out of a full OQ unless sole evidence of a high-risk requirement (P122): the
# slow tests (a minute or more each: fuzzing, the demo seed, backup and restore) and
# the browser journeys (Chromium against a server on a copy of the demo plant).
LEAVE_OUT = ("slow", "browser")
POLL_SECONDS = 0.5


def read_progress(path: Path) -> tuple[int, int | None]:
    """(tests done, tests to run or None) from the file oq_plugin's `--oq-progress`
    keeps; (0, None) before the child wrote one. Read here, not imported from the
    plugin: an installation runs `validate` without pytest importable in this process."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0, None
    return int(raw.get("done") or 0), raw.get("total")


def default_workers() -> int:
    """One pytest-xdist worker per processor this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_database_names(base: str, workers: int) -> list[str]:
    # pytest-django's names: the test database name with `_gw<N>` per xdist worker.
    return [f"{base}_gw{n}" for n in range(workers)] if workers > 1 else [base]


def test_database_name(out: Path) -> str:
    name = scratch_database_name()
    return name or str(out / "oq-db.sqlite3")


def run_tests(
    *,
    source: Path,
    out: Path,
    requirements: set[str] | None,
    tests: list[str] | None = None,
    workers: int = 0,
    marker: str = "not browser",
    template: scratch.Template | None = None,
    leave_out: tuple[str, ...] = (),
    keep_sole: set[str] | None = None,
    marked_only: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
) -> tuple[list[str], int, float, str]:
    """Run pytest in a child process; (command, exit code, seconds, output tail).
    `progress(tests done, tests to run)` is called while it runs."""
    evidence = out / "oq-evidence.jsonl"
    targets = tests or [str(source / "tests")]
    command = [
        sys.executable,
        "-m",
        "pytest",
        *targets,
        "-p",
        "qualify.validation.oq_plugin",
        f"--oq-evidence={evidence}",
        "-q",
        "-p",
        "no:cacheprovider",
        "--reuse-db" if template else "--create-db",
        f"--rootdir={source}",
        "-c",
        str(source / "pyproject.toml"),
    ]
    if leave_out:
        # The plugin leaves them out, with a reason per test, instead of `-m`.
        command += [
            "--oq-leave-out=" + ",".join(leave_out),
            "--oq-keep-sole=" + ",".join(sorted(keep_sole or ())),
            f"--oq-left-out={out / 'oq-left-out.json'}",
        ]
    else:
        command += ["-m", marker]
    if marked_only:
        command.append("--oq-marked-only")
    if requirements is not None:
        # An empty selection runs nothing (a requirement ID no test carries).
        command.append("--oq-requirements=" + (",".join(sorted(requirements)) or "-"))
    if workers > 1:
        command += ["-n", str(workers)]
    # OQ tests the installed code, not this installation's configuration (that is IQ's):
    # the tests set the settings each one needs from the defaults, so the installation's
    # QUALIFY_* variables (HTTPS redirects, pinned keys, its key folder) are not passed
    # on; only the database server is, for the scratch database.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("QUALIFY_") or k == "QUALIFY_DATABASE_URL"
    }
    env["QUALIFY_VAR_DIR"] = str(out / "oq-var")
    if template is not None:
        env["QUALIFY_TEST_DATABASE_NAME"] = test_database_name(out)
        for name in worker_database_names(test_database_name(out), workers):
            scratch.copy(template, name)
    elif scratch_database_name():
        env["QUALIFY_TEST_DATABASE_NAME"] = scratch_database_name()
    env.pop("PYTEST_ADDOPTS", None)
    out.mkdir(parents=True, exist_ok=True)
    progress_file = out / "oq-progress.json"
    progress_file.unlink(missing_ok=True)
    command.append(f"--oq-progress={progress_file}")
    started = time.monotonic()
    # Output goes to files, not pipes: the parent polls the progress file meanwhile,
    # and a full pipe would stall the child.
    with (
        (out / "oq-stdout.txt").open("w+", encoding="utf-8") as stdout,
        (out / "oq-stderr.txt").open("w+", encoding="utf-8") as stderr,
    ):
        proc = subprocess.Popen(command, cwd=source, env=env, stdout=stdout, stderr=stderr)
        while True:
            try:
                proc.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if progress is not None:
                    progress(*read_progress(progress_file))
        if progress is not None:
            progress(*read_progress(progress_file))
        stdout.seek(0)
        stderr.seek(0)
        text_out, text_err = stdout.read(), stderr.read()
    for name in ("oq-stdout.txt", "oq-stderr.txt"):
        (out / name).unlink()
    seconds = time.monotonic() - started
    (out / "oq-pytest-output.txt").write_text(text_out + "\n" + text_err, encoding="utf-8")
    tail = "\n".join((text_out + text_err).strip().splitlines()[-15:])
    return command, proc.returncode, seconds, tail


def read_evidence(path: Path) -> list[TestEvidence]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            out.append(
                TestEvidence(
                    nodeid=raw["nodeid"],
                    outcome=raw["outcome"],
                    duration=raw["duration"],
                    requirements=raw.get("requirements", []),
                    doc=raw.get("doc", ""),
                    message=raw.get("message", ""),
                    hypothesis=raw.get("hypothesis"),
                )
            )
    return out


def judge(
    tests: list[TestEvidence], items: list[UrsItem], selected: set[str] | None
) -> tuple[dict, dict, dict]:
    """Per requirement: PASS (a passing test, none failing), FAIL (a test failed), NO
    TEST (none ran); per URS item: FAIL when a requirement failed, or when a high-risk
    item's requirement has no passing test; NOT RUN when outside the selection."""
    by_requirement: dict[str, list[TestEvidence]] = defaultdict(list)
    for test in tests:
        for rid in test.requirements:
            by_requirement[rid].append(test)
    status: dict[str, str] = {}
    for rid, ran in by_requirement.items():
        if any(not t.ok for t in ran):
            status[rid] = "FAIL"
        elif any(t.outcome == PASSED for t in ran):
            status[rid] = "PASS"
        else:
            status[rid] = "NO TEST"
    urs_status: dict[str, str] = {}
    for item in items:
        mine = [rid for rid in item.requirements if selected is None or rid in selected]
        if not mine:
            urs_status[item.id] = "NOT RUN"
            continue
        states = [status.get(rid, "NO TEST") for rid in mine]
        if "FAIL" in states or (item.risk == "high" and "NO TEST" in states):
            urs_status[item.id] = "FAIL"
        elif all(s == "NO TEST" for s in states):
            urs_status[item.id] = "NO TEST"
        else:
            urs_status[item.id] = "PASS"
    return dict(by_requirement), status, urs_status


def run_oq(
    *,
    source: Path,
    out: Path,
    items: list[UrsItem],
    requirements: set[str] | None,
    selection: str,
    tests: list[str] | None = None,
    workers: int = 0,
    template: scratch.Template | None = None,
    leave_out: tuple[str, ...] = (),
    progress: Callable[[int, int | None], None] | None = None,
) -> OqResult:
    out.mkdir(parents=True, exist_ok=True)
    high = {rid for item in items if item.risk == "high" for rid in item.requirements}
    left = out / "oq-left-out.json"
    left.unlink(missing_ok=True)
    command, code, seconds, tail = run_tests(
        source=source,
        out=out,
        requirements=requirements,
        tests=tests,
        workers=workers,
        template=template,
        leave_out=leave_out,
        keep_sole=high,
        # The OQ is the requirement-marked tests, unless the caller named the tests.
        marked_only=not tests,
        progress=progress,
    )
    left_out = json.loads(left.read_text(encoding="utf-8")) if left.is_file() else []
    evidence = read_evidence(out / "oq-evidence.jsonl")
    if tests and requirements is None:
        # An explicit list of tests judges the requirements those tests carry; the
        # other URS items are stated as not run, not as failed.
        requirements = {rid for t in evidence for rid in t.requirements}
    by_requirement, status, urs_status = judge(evidence, items, requirements)
    return OqResult(
        command=command,
        exit_code=code,
        seconds=seconds,
        tests=evidence,
        selection=selection,
        by_requirement=by_requirement,
        requirement_status=status,
        urs_status=urs_status,
        output_tail=tail,
        workers=workers,
        left_out=left_out,
    )


def left_out_summary(left_out: list[dict]) -> str:
    """One line for page 1: how many tests the OQ left out, by reason."""
    if not left_out:
        return "none"
    unmarked = sum(1 for t in left_out if t["reason"].startswith("carries no requirement"))
    marked = len(left_out) - unmarked
    parts = []
    if marked:
        parts.append(f"{marked} slow or browser tests, none a high-risk item's sole evidence")
    if unmarked:
        parts.append(f"{unmarked} tests carrying no requirement")
    return "; ".join(parts) + " (each listed in section 6 with its reason)"
