"""pytest plugin of the OQ (P60, P62): evidence per test, and the selection by
requirement.

`-p qualify.validation.oq_plugin --oq-evidence=FILE` writes one JSON line per test:
node id, requirement IDs, the docstring (the requirement in words, and the steps),
outcome, duration and, for a hypothesis property test, the examples it ran.
`--oq-requirements=Q1,G3` keeps only the tests of those requirements (for
`qualify validate --since` and high-risk runs).

Works under pytest-xdist: what a worker knows of its item (markers, docstring,
hypothesis statistics) travels in `report.user_properties`, which xdist sends to the
controller, where the file is written.

Hypothesis statistics: hypothesis's own pytest plugin collects them for every
@given test (item.hypothesis_statistics, the text `--hypothesis-show-statistics`
prints); the counts of passing, failing and invalid examples are read from it.
"""

from __future__ import annotations

import inspect
import json
import re
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


def _requirements(item) -> list[str]:
    return [str(rid) for marker in item.iter_markers("requirement") for rid in marker.args]


def pytest_collection_modifyitems(session, config, items):
    wanted = config.getoption("--oq-requirements")
    if not wanted:
        return
    ids = {part.strip() for part in wanted.split(",") if part.strip()}
    keep, drop = [], []
    for item in items:
        (keep if ids & set(_requirements(item)) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def examples_run(statistics: str) -> dict[str, int] | None:
    """Passing, failing and invalid examples summed over hypothesis's phases."""
    found = _EXAMPLES.findall(statistics or "")
    if not found:
        return None
    passing, failing, invalid = (sum(int(row[i]) for row in found) for i in range(3))
    return {"passing": passing, "failing": failing, "invalid": invalid}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "setup":
        doc = inspect.getdoc(getattr(item, "function", None)) or ""
        report.user_properties.append(("oq_requirements", _requirements(item)))
        report.user_properties.append(("oq_doc", doc))
    elif report.when == "teardown":
        stats = getattr(item, "hypothesis_statistics", None)
        if stats:
            report.user_properties.append(("oq_hypothesis", examples_run(stats)))
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
