"""Redline between two versions of a document (L3, delta training).

The text of a version is its `content_text` (Markdown or plain), else the text drawn
from its PDF. The text is cut into sections at headings (Markdown `#` lines or
numbered headings such as "4.2 Cleaning"), sections are paired by their heading
without its number (so renumbering does not read as a rewrite), and each pair is
compared line by line with difflib (stdlib). A line removed in one place and added
unchanged in another is shown as moved, not as a deletion and an addition.

PDF text is drawn with pypdf, which maps each font to Unicode as a viewer's search
does; a PDF it cannot read leaves the page showing the whole document instead.
"""

import difflib
import io
import re
from dataclasses import dataclass, field

HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
NUMBERED = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)*)\.?\s+(?P<title>[A-Z][^.:;]{1,78})$")
START = "(start of the document)"


@dataclass
class Line:
    kind: str  # "same", "added", "removed", "moved-in", "moved-out"
    text: str


@dataclass
class SectionDiff:
    title: str
    key: str
    status: str  # "changed", "added", "removed", "unchanged"
    lines: list[Line] = field(default_factory=list)
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


@dataclass
class Redline:
    sections: list[SectionDiff]  # changed sections first, each group in document order
    readable: bool = True  # False: a text could not be drawn from a version

    @property
    def changed(self) -> list[SectionDiff]:
        return [s for s in self.sections if s.changed]

    def count(self, kind: str) -> int:
        return sum(1 for s in self.sections for line in s.lines if line.kind == kind)


def _key(title: str) -> str:
    title = re.sub(r"^\s*\d+(?:\.\d+)*\.?\s+", "", title)
    return re.sub(r"\s+", " ", title).strip().casefold()


def sections(text: str) -> list[tuple[str, list[str]]]:
    """(heading, lines) in order; text before the first heading is its own section."""
    out: list[tuple[str, list[str]]] = [(START, [])]
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        match = HEADING.match(line) or NUMBERED.match(line)
        if match:
            title = line.lstrip("# ").strip() if line.lstrip().startswith("#") else line.strip()
            out.append((title, []))
        elif line.strip():
            out[-1][1].append(line.strip())
    if not out[0][1]:
        out.pop(0)
    return out


def redline(old_text: str, new_text: str, notes: dict[str, str] | None = None) -> Redline:
    """The redline from old_text to new_text; `notes` by section heading (as document
    control typed it: matched without number and case)."""
    notes_by_key = {_key(k): v for k, v in (notes or {}).items()}
    old = sections(old_text)
    new = sections(new_text)
    old_by_key: dict[str, tuple[str, list[str]]] = {}
    for title, lines in old:
        old_by_key.setdefault(_key(title), (title, lines))
    new_keys = {_key(title) for title, _ in new}
    result: list[SectionDiff] = []
    for title, lines in new:
        key = _key(title)
        before = old_by_key.get(key)
        if before is None:
            diff = SectionDiff(title, key, "added", [Line("added", x) for x in lines])
        else:
            diff = SectionDiff(title, key, "unchanged", _lines(before[1], lines))
            if title != before[0] or any(x.kind != "same" for x in diff.lines):
                diff.status = "changed"
        result.append(diff)
    for title, lines in old:
        key = _key(title)
        if key not in new_keys:
            result.append(SectionDiff(title, key, "removed", [Line("removed", x) for x in lines]))
    _mark_moves(result)
    for diff in result:
        diff.note = notes_by_key.get(diff.key, "")
        if diff.note and diff.status == "unchanged":
            diff.status = "changed"  # document control says something changed here
    ordered = [s for s in result if s.changed] + [s for s in result if not s.changed]
    return Redline(ordered)


def _lines(old: list[str], new: list[str]) -> list[Line]:
    out: list[Line] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(Line("same", x) for x in new[j1:j2])
            continue
        out.extend(Line("removed", x) for x in old[i1:i2])
        out.extend(Line("added", x) for x in new[j1:j2])
    return out


def _mark_moves(result: list[SectionDiff]) -> None:
    """A line removed somewhere and added unchanged elsewhere moved."""
    removed = [line for s in result for line in s.lines if line.kind == "removed"]
    added = [line for s in result for line in s.lines if line.kind == "added"]
    pending: dict[str, list[Line]] = {}
    for line in removed:
        pending.setdefault(line.text, []).append(line)
    for line in added:
        sources = pending.get(line.text)
        if sources:
            sources.pop(0).kind = "moved-out"
            line.kind = "moved-in"
    for s in result:
        if s.status == "unchanged" and any(x.kind != "same" for x in s.lines):
            s.status = "changed"


# --- text of a version -----------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages, one page after another."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = (page.extract_text() or "" for page in reader.pages)
    return "\n".join(line for text in pages for line in text.splitlines())


def version_text(version) -> str | None:
    """The text of a version to compare: its text, else its PDF's; None when no
    text can be drawn."""
    if version.content_text.strip():
        return version.content_text
    if not version.file:
        return None
    try:
        with version.file.open("rb") as handle:
            data = handle.read()
        if not data.startswith(b"%PDF"):
            return data.decode("utf-8")
        text = pdf_text(data)
    except Exception:  # a PDF we cannot read: the page shows the document instead
        return None
    return text if text.strip() else None


def compare(old_version, new_version, notes: dict[str, str] | None = None) -> Redline:
    old, new = version_text(old_version), version_text(new_version)
    if old is None or new is None:
        return Redline([], readable=False)
    return redline(old, new, notes)
