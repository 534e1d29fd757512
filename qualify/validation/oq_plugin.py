"""pytest plugin of the OQ (P60, P62): evidence per test, and the selection by
requirement.

`-p qualify.validation.oq_plugin --oq-evidence=FILE` writes one JSON line per test:
node id, requirement IDs, the docstring (the requirement in words, and the steps),
outcome, duration and, for a hypothesis property test, the examples it ran.
`--oq-requirements=Q1,G3` keeps only the tests of those requirements (for
`qualify validate --since` and high-risk runs).

The full OQ fits its time (P121, P122): `--oq-marked-only` leaves out the tests that
carry no requirement (they are evidence of nothing the pack traces), and
`--oq-leave-out=slow,browser` the tests with those markers, except a test that is the
sole evidence of a requirement named in `--oq-keep-sole` (the high-risk URS items'):
one that no other selected test carries. `--oq-left-out=FILE` lists what was left out
and why, for the pack to say so.

`--oq-progress=FILE` keeps a small JSON file of tests finished and tests to run,
rewritten at most twice a second, so `qualify validate` can draw a bar and an estimate
while the OQ runs in its child process (P142).

Works under pytest-xdist: what a worker knows of its item (markers, docstring,
hypothesis statistics) travels in `report.user_properties`, which xdist sends to the
controller, where the file is written.

Hypothesis statistics: hypothesis reports them per @given run to the collector its
pytest plugin installs around each test; this plugin notes every run of a test (a
test may run several properties inside it) and sums the counts of passing, failing
and invalid examples over them, with the number of runs.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import time
from pathlib import Path

import pytest

# "- 25 passing, 0 failing, and 0 invalid test cases" per phase (hypothesis 6.1xx;
# older releases wrote "25 passing examples, 0 failing examples, 0 invalid examples").
_EXAMPLES = re.compile(
    r"(\d+) passing(?: examples?)?, (\d+) failing(?: examples?)?,(?: and)? (\d+) invalid"
)


def pytest_addoption(parser):
    group = parser.getgroup("qualify validation")
    group.addoption("--oq-evidence", metavar="FILE", help="write OQ evidence (JSON lines)")
    group.addoption(
        "--oq-requirements",
        metavar="IDS",
        help="run only the tests of these requirement IDs (comma separated)",
    )
    group.addoption(
        "--oq-marked-only",
        action="store_true",
        help="leave out the tests that carry no requirement marker",
    )
    group.addoption(
        "--oq-leave-out",
        metavar="MARKERS",
        help="leave out tests with these markers (comma separated) unless sole evidence",
    )
    group.addoption(
        "--oq-keep-sole",
        metavar="IDS",
        help="requirement IDs whose sole tests are kept whatever their markers",
    )
    group.addoption("--oq-left-out", metavar="FILE", help="write what was left out (JSON)")
    group.addoption("--oq-progress", metavar="FILE", help="keep tests done / to run (JSON)")


def _requirements(item) -> list[str]:
    return [str(rid) for marker in item.iter_markers("requirement") for rid in marker.args]


def _ids(text: str | None) -> set[str]:
    return {part.strip() for part in (text or "").split(",") if part.strip()}


def _will_skip(item) -> bool:
    if any(True for _ in item.iter_markers("skip")):
        return True
    return any(
        mark.args and isinstance(mark.args[0], bool) and mark.args[0]
        for mark in item.iter_markers("skipif")
    )


def left_out(items, *, marked_only: bool, markers: set[str], keep_sole: set[str]):
    """(kept items, [(item, reason)] left out): see the module's docstring."""
    kept, out = [], []
    heavy = []
    for item in items:
        if marked_only and not _requirements(item):
            out.append((item, "carries no requirement marker: evidence of nothing traced"))
        elif markers & {m.name for m in item.iter_markers()}:
            heavy.append(item)
        else:
            kept.append(item)
    # A test that will skip here (a PostgreSQL-only test on SQLite) is no evidence, so
    # it does not make a slow test of the same requirement redundant.
    covered = {rid for item in kept if not _will_skip(item) for rid in _requirements(item)}
    for item in heavy:
        mine = set(_requirements(item))
        sole = sorted((mine & keep_sole) - covered)
        if sole:
            kept.append(item)
            continue
        names = ", ".join(sorted(markers & {m.name for m in item.iter_markers()}))
        high = sorted(mine & keep_sole)
        reason = f"marked {names}; " + (
            f"its high-risk requirements ({', '.join(high)}) have other tests in this OQ"
            if high
            else "no high-risk URS item depends on it alone"
            + (f" (requirements {', '.join(sorted(mine))})" if mine else "")
        )
        out.append((item, reason))
    return kept, out


def pytest_collection_modifyitems(session, config, items):
    wanted = config.getoption("--oq-requirements")
    if wanted:
        ids = _ids(wanted)
        keep, drop = [], []
        for item in items:
            (keep if ids & set(_requirements(item)) else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    markers = _ids(config.getoption("--oq-leave-out"))
    marked_only = config.getoption("--oq-marked-only")
    if not (markers or marked_only):
        return
    keep, out = left_out(
        items,
        marked_only=marked_only,
        markers=markers,
        keep_sole=_ids(config.getoption("--oq-keep-sole")),
    )
    if out:
        config.hook.pytest_deselected(items=[item for item, _ in out])
        items[:] = keep
    target = config.getoption("--oq-left-out")
    # Every xdist worker collects the same; the first one writes the list.
    worker = getattr(config, "workerinput", {}).get("workerid", "gw0")
    if target and worker == "gw0":
        rows = [
            {"nodeid": item.nodeid, "requirements": _requirements(item), "reason": reason}
            for item, reason in out
        ]
        Path(target).write_text(json.dumps(rows, indent=1, sort_keys=True), encoding="utf-8")


def examples_run(statistics: str) -> dict[str, int] | None:
    """Passing, failing and invalid examples summed over hypothesis's phases."""
    found = _EXAMPLES.findall(statistics or "")
    if not found:
        return None
    passing, failing, invalid = (sum(int(row[i]) for row in found) for i in range(3))
    return {"passing": passing, "failing": failing, "invalid": invalid}


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_call(item):
    # hypothesis's plugin keeps the statistics of the last @given run of a test only;
    # a test that runs several properties inside it (one per API operation: the fuzz
    # and schema tests) would report the examples of its last one (P123). trylast: a
    # wrapper inside hypothesis's, so its own note is still called.
    try:
        from hypothesis.statistics import collector, describe_statistics
    except ImportError:  # pragma: no cover - hypothesis is a test dependency
        yield
        return
    outer = collector.value
    runs: list[str] = []

    def note(stats):
        runs.append(describe_statistics(stats))
        if outer is not None:
            outer(stats)

    with collector.with_value(note):
        yield
    if runs:
        item.stash[_RUNS] = runs


_RUNS = pytest.StashKey[list]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "setup":
        doc = inspect.getdoc(getattr(item, "function", None)) or ""
        report.user_properties.append(("oq_requirements", _requirements(item)))
        report.user_properties.append(("oq_doc", doc))
    elif report.when == "teardown":
        runs = item.stash.get(_RUNS, None)
        stats = "\n".join(runs) if runs else getattr(item, "hypothesis_statistics", None)
        if stats:
            counted = examples_run(stats)
            if counted is not None:
                counted["runs"] = len(runs) if runs else 1
            report.user_properties.append(("oq_hypothesis", counted))
            report.user_properties.append(("oq_hypothesis_text", stats))


class _Evidence:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tests: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report):
        entry = self.tests.setdefault(
            report.nodeid,
            {"nodeid": report.nodeid, "outcome": "not run", "duration": 0.0, "message": ""},
        )
        props = dict(report.user_properties)
        if "oq_requirements" in props:
            entry["requirements"] = props["oq_requirements"]
            entry["doc"] = props["oq_doc"]
        if "oq_hypothesis" in props:
            entry["hypothesis"] = props["oq_hypothesis"]
            entry["hypothesis_text"] = props.get("oq_hypothesis_text", "")
        entry["duration"] += report.duration
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            entry["outcome"] = report.outcome
            if report.outcome != "passed":
                entry["message"] = _short(report)
        elif report.when == "teardown" and report.outcome == "failed":
            entry["outcome"] = "error"
            entry["message"] = _short(report)

    def pytest_sessionfinish(self, session, exitstatus):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", encoding="utf-8") as out:
            for entry in self.tests.values():
                entry.setdefault("requirements", [])
                entry.setdefault("doc", "")
                entry["duration"] = round(entry["duration"], 3)
                out.write(json.dumps(entry, sort_keys=True) + "\n")


class _Progress:
    """Tests finished against tests to run, for the bar of `qualify validate`."""

    INTERVAL = 0.5

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = 0
        self.total: int | None = None
        self._written = 0.0

    def pytest_collection_finish(self, session):
        if session.items:  # without xdist the controller collects itself
            self.total = len(session.items)
            self._write(force=True)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        # Every worker collects the same selection.
        self.total = max(self.total or 0, len(ids))
        self._write(force=True)

    def pytest_runtest_logreport(self, report):
        if report.when == "teardown":
            self.done += 1
            self._write()

    def pytest_sessionfinish(self, session, exitstatus):
        self._write(force=True)

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < self.INTERVAL:
            return
        self._written = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".part")
        partial.write_text(json.dumps({"done": self.done, "total": self.total}), "utf-8")
        os.replace(partial, self.path)  # a reader never sees half a file


def _short(report) -> str:
    if report.outcome == "skipped" and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])[:500]
    text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
    lines = [line for line in text.splitlines() if line.startswith("E ")]
    return ("\n".join(lines[:8]) or text[-800:])[:1500]


def pytest_configure(config):
    target = config.getoption("--oq-evidence")
    # Under xdist only the controller writes (workers have a `workerinput`).
    if target and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Evidence(Path(target)), "qualify-oq-evidence")
    progress = config.getoption("--oq-progress")
    if progress and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Progress(Path(progress)), "qualify-oq-progress")
