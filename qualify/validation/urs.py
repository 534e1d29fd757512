"""The user requirements (URS, docs/validation/urs.yaml) and their trace (P59).

One reader for the pack, the `--since` selection and the tests: each item is checked
(ID, text, regulation, risk level with a reason, GAMP category, requirement IDs
listed in docs/requirements.yaml) when read, so a malformed URS stops the pack with
the item named instead of producing a pack that traces nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

RISKS = ("high", "medium", "low")
GAMP_CATEGORIES = (1, 3, 4, 5)
_ID = re.compile(r"^URS-\d{2,3}$")


@dataclass(frozen=True)
class UrsItem:
    id: str
    title: str
    text: str
    regulation: str
    risk: str
    risk_reason: str
    gamp: int
    requirements: tuple[str, ...]
    functions: tuple[str, ...] = field(default=())


def urs_path(root: Path) -> Path:
    return root / "docs" / "validation" / "urs.yaml"


def requirements_path(root: Path) -> Path:
    return root / "docs" / "requirements.yaml"


def listed_requirements(root: Path) -> dict[str, str]:
    """Requirement ID -> text, from docs/requirements.yaml."""
    data = yaml.safe_load(requirements_path(root).read_text(encoding="utf-8"))
    return {entry["id"]: entry["text"] for entry in data["requirements"]}


def load_urs(root: Path) -> list[UrsItem]:
    """The URS items, checked; ValueError naming every problem."""
    path = urs_path(root)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    known = listed_requirements(root)
    items: list[UrsItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, raw in enumerate(data.get("urs") or [], 1):
        where = f"{path.name} item {n} ({raw.get('id', '?') if isinstance(raw, dict) else '?'})"
        if not isinstance(raw, dict):
            problems.append(f"{where}: not a mapping")
            continue
        rid = str(raw.get("id", ""))
        risk = raw.get("risk") or {}
        level = str(risk.get("level", "")) if isinstance(risk, dict) else ""
        reason = str(risk.get("reason", "")) if isinstance(risk, dict) else ""
        reqs = [str(r) for r in raw.get("requirements") or []]
        if not _ID.match(rid):
            problems.append(f"{where}: id must look like URS-01")
        if rid in seen:
            problems.append(f"{where}: id {rid} is used twice")
        seen.add(rid)
        for key in ("title", "text", "regulation"):
            if not str(raw.get(key, "")).strip():
                problems.append(f"{where}: {key} is missing")
        if level not in RISKS:
            problems.append(f"{where}: risk level must be one of {', '.join(RISKS)}")
        if not reason.strip():
            problems.append(f"{where}: the risk needs its reason")
        if raw.get("gamp") not in GAMP_CATEGORIES:
            problems.append(f"{where}: gamp must be a GAMP 5 category (1, 3, 4 or 5)")
        if not reqs:
            problems.append(f"{where}: traces to no requirement")
        unknown = [r for r in reqs if r not in known]
        if unknown:
            problems.append(
                f"{where}: requirements not in docs/requirements.yaml: {', '.join(unknown)}"
            )
        items.append(
            UrsItem(
                id=rid,
                title=str(raw.get("title", "")),
                text=" ".join(str(raw.get("text", "")).split()),
                regulation=str(raw.get("regulation", "")),
                risk=level,
                risk_reason=reason,
                gamp=raw.get("gamp") or 0,
                requirements=tuple(reqs),
                functions=tuple(str(f) for f in raw.get("functions") or []),
            )
        )
    if problems:
        raise ValueError("docs/validation/urs.yaml:\n" + "\n".join(problems))
    return items


def requirements_by_urs(items: list[UrsItem]) -> dict[str, tuple[str, ...]]:
    return {item.id: item.requirements for item in items}


def urs_by_requirement(items: list[UrsItem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        for rid in item.requirements:
            out.setdefault(rid, []).append(item.id)
    return out


def high_risk_requirements(items: list[UrsItem]) -> set[str]:
    return {rid for item in items if item.risk == "high" for rid in item.requirements}


def marked_requirements(tests_dir: Path) -> dict[str, list[str]]:
    """Requirement ID -> the tests that carry it in a `pytest.mark.requirement(...)`
    marker (on a test, a class, or a module's `pytestmark`), read from the test files'
    syntax trees (no import, no collection), so the trace is checked in a second."""
    import ast

    def is_marker(node) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "requirement"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "mark"
        )

    out: dict[str, list[str]] = {}
    for path in sorted(tests_dir.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = str(path.relative_to(tests_dir.parent))
        named: dict[int, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                for deco in node.decorator_list:
                    named[id(deco)] = f"{where}::{node.name}"
        for node in ast.walk(tree):
            if not is_marker(node):
                continue
            name = named.get(id(node), f"{where} (every test of the module)")
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.setdefault(arg.value, []).append(name)
    return out


def untested_high_risk(items: list[UrsItem], marked: dict[str, list[str]]) -> dict[str, list[str]]:
    """High-risk URS item -> its requirement IDs that no test carries (empty: traced)."""
    gaps = {}
    for item in items:
        if item.risk != "high":
            continue
        missing = [rid for rid in item.requirements if not marked.get(rid)]
        if missing:
            gaps[item.id] = missing
    return gaps
