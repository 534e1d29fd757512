"""Releases (P61): the version, the commit, the lock, and what a release asks a customer
to re-validate.

CHANGELOG.md holds one section per release, newest first, `## [X.Y.Z] - YYYY-MM-DD`,
and under it one `### ` entry per change with three lines the pack reads:

    - URS: URS-03, URS-09        (the user requirements the change touches)
    - Risk: high — why            (the change's risk, as the URS items rank them)
    - Re-tested: G3, A1          (the requirement IDs whose tests were re-run; "all")

`impacted_since(v)` gathers the URS items and requirement IDs of every release after v
up to the running one, so `qualify validate --since v` runs only their tests.

Hazard: a changelog entry without a URS line re-validates nothing; `changes()` refuses
one, so a release cannot slip an untraced change past `--since`.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import qualify

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$")
_FIELD = re.compile(r"^- (?P<name>URS|Risk|Re-tested):\s*(?P<value>.*)$", re.IGNORECASE)


def version() -> str:
    """The running code's version (qualify.__version__, equal to pyproject's)."""
    return qualify.__version__


def parse_version(text: str) -> tuple[int, int, int]:
    match = SEMVER.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a semantic version MAJOR.MINOR.PATCH")
    return tuple(int(part) for part in match.groups())  # type: ignore[return-value]


def source_root() -> Path:
    """The checkout (or unpacked source archive) the running package came from, when
    it has one: the folder holding pyproject.toml beside the `qualify` package."""
    return Path(qualify.__file__).resolve().parent.parent


def commit(root: Path | None = None) -> str:
    """The git commit of the source, or 'not a git checkout'."""
    root = root or source_root()
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
    sha = out.stdout.strip()
    if out.returncode != 0 or not sha:
        return "not a git checkout"
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout.strip()
    return f"{sha} (uncommitted changes)" if dirty else sha


def lock_file(root: Path | None = None) -> Path:
    return (root or source_root()) / "requirements" / "base.txt"


def lock_hash(root: Path | None = None) -> str | None:
    """SHA-256 of the runtime lock file (requirements/base.txt), or None without it."""
    path = lock_file(root)
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Change:
    release: str
    title: str
    urs: list[str] = field(default_factory=list)
    risk: str = ""
    retested: list[str] = field(default_factory=list)


@dataclass
class Release:
    version: str
    date: str
    changes: list[Change] = field(default_factory=list)


def _ids(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", value) if part.strip()]


def read_changelog(path: Path) -> list[Release]:
    """The releases of CHANGELOG.md, newest first; ValueError naming the line for a
    version that is not semantic or a change without its URS line."""
    releases: list[Release] = []
    change: Change | None = None
    for _number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        head = _RELEASE.match(line)
        if head:
            name = head["version"]
            if name.lower() != "unreleased":
                parse_version(name)
            releases.append(Release(version=name, date=head["date"] or ""))
            change = None
            continue
        if line.startswith("### ") and releases:
            change = Change(release=releases[-1].version, title=line[4:].strip())
            releases[-1].changes.append(change)
            continue
        found = _FIELD.match(line.strip())
        if found and change is not None:
            name, value = found["name"].lower(), found["value"].strip()
            if name == "urs":
                change.urs = _ids(value)
            elif name == "risk":
                change.risk = value
            else:
                change.retested = _ids(value)
    for release in releases:
        for change in release.changes:
            if not change.urs:
                raise ValueError(
                    f"CHANGELOG.md: '{change.title}' ({release.version}) names no URS item"
                )
    return releases


@dataclass
class Impact:
    since: str
    releases: list[str]
    urs: set[str]
    # None: the whole OQ (a change re-tested "all", such as the first release).
    requirements: set[str] | None


def impacted_since(releases: list[Release], since: str, *, urs_requirements) -> Impact:
    """What changed after `since` up to the running version: the URS items touched and
    the requirement IDs to re-test (those named as re-tested and every requirement of
    a touched URS item). `urs_requirements` maps a URS id to its requirement IDs."""
    floor = parse_version(since)
    current = parse_version(version())
    if floor > current:
        raise ValueError(f"--since {since} is later than the running version {version()}")
    chosen = [
        r
        for r in releases
        if r.version.lower() != "unreleased" and floor < parse_version(r.version) <= current
    ]
    urs: set[str] = set()
    requirements: set[str] = set()
    everything = False
    for release in chosen:
        for change in release.changes:
            urs.update(change.urs)
            if [r.lower() for r in change.retested] == ["all"]:
                everything = True
            else:
                requirements.update(change.retested)
    for item in urs:
        requirements.update(urs_requirements.get(item, ()))
    return Impact(
        since=since,
        releases=[r.version for r in chosen],
        urs=urs,
        requirements=None if everything else requirements,
    )
