"""Requirement traceability (P3): markers must name listed IDs; --traceability writes
the requirement -> test -> outcome matrix."""

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

REQUIREMENTS_FILE = Path(__file__).resolve().parents[2] / "docs" / "requirements.yaml"


def listed_requirement_ids() -> set[str]:
    data = yaml.safe_load(REQUIREMENTS_FILE.read_text())
    return {entry["id"] for entry in data["requirements"]}


def pytest_addoption(parser):
    parser.addoption(
        "--traceability",
        metavar="FILE",
        help="write a requirement -> tests -> outcome matrix (Markdown) to FILE",
    )


def pytest_collection_modifyitems(session, config, items):
    known = listed_requirement_ids()
    unknown = defaultdict(list)
    for item in items:
        for marker in item.iter_markers("requirement"):
            for rid in marker.args:
                if rid not in known:
                    unknown[rid].append(item.nodeid)
    if unknown:
        lines = [f"{rid}: {', '.join(ids)}" for rid, ids in sorted(unknown.items())]
        raise pytest.UsageError(
            "requirement markers name IDs missing from docs/requirements.yaml:\n" + "\n".join(lines)
        )


_outcomes: dict[str, str] = {}
_requirements_of: dict[str, list[str]] = {}


def pytest_itemcollected(item):
    ids = [rid for marker in item.iter_markers("requirement") for rid in marker.args]
    if ids:
        _requirements_of[item.nodeid] = ids


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _outcomes[report.nodeid] = report.outcome


def pytest_sessionfinish(session, exitstatus):
    target = session.config.getoption("--traceability")
    if not target:
        return
    by_requirement = defaultdict(list)
    for nodeid, ids in _requirements_of.items():
        for rid in ids:
            by_requirement[rid].append((nodeid, _outcomes.get(nodeid, "not run")))
    lines = ["| requirement | test | result |", "| --- | --- | --- |"]
    for rid in sorted(listed_requirement_ids()):
        for nodeid, outcome in by_requirement.get(rid, [("(no test)", "—")]):
            lines.append(f"| {rid} | `{nodeid}` | {outcome} |")
    Path(target).write_text("\n".join(lines) + "\n")
