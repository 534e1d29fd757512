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

The scratch database: pytest-django creates its own test database from the
installation's settings: in memory for SQLite; for PostgreSQL a database named
QUALIFY_TEST_DATABASE_NAME (set here to `<name>_validation_oq`), created and dropped
by the run, so the installation's data is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

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


def run_tests(
    *,
    source: Path,
    out: Path,
    requirements: set[str] | None,
    tests: list[str] | None = None,
    workers: int = 0,
    marker: str = "not browser",
) -> tuple[list[str], int, float, str]:
    """Run pytest in a child process; (command, exit code, seconds, output tail)."""
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
        "-m",
        marker,
        "-q",
        "-p",
        "no:cacheprovider",
        "--create-db",
        f"--rootdir={source}",
        "-c",
        str(source / "pyproject.toml"),
    ]
    if requirements is not None:
        # An empty selection runs nothing (a requirement ID no test carries).
        command.append("--oq-requirements=" + (",".join(sorted(requirements)) or "-"))
    if workers:
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
    name = scratch_database_name()
    if name:
        env["QUALIFY_TEST_DATABASE_NAME"] = name
    env.pop("PYTEST_ADDOPTS", None)
    started = time.monotonic()
    proc = subprocess.run(command, cwd=source, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    (out / "oq-pytest-output.txt").write_text(proc.stdout + "\n" + proc.stderr, encoding="utf-8")
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
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
) -> OqResult:
    out.mkdir(parents=True, exist_ok=True)
    command, code, seconds, tail = run_tests(
        source=source, out=out, requirements=requirements, tests=tests, workers=workers
    )
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
    )
