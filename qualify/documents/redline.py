"""Redline between two versions of a document (L3, delta training).

The text of a version is its `content_text` (Markdown or plain), else the text drawn
from its PDF. The text is cut into sections at headings (Markdown `#` lines or
numbered headings such as "4.2 Cleaning"), sections are paired by their heading
without its number (so renumbering does not read as a rewrite), and each pair is
compared line by line with difflib (stdlib). A line removed in one place and added
unchanged in another is shown as moved, not as a deletion and an addition.

PDF text: no PDF text extractor is among the locked dependencies (pypdf is not
installed; pyHanko reads PDF objects but draws no text). `pdf_text` decodes each
page's content streams with pyHanko and reads the strings of the text-showing
operators (Tj, TJ, ', "), starting a new line at each text-positioning operator.
That is enough for PDFs written by word processors and reportlab with standard
encodings; text in fonts with custom encodings (CID fonts) comes out garbled or
empty, and then the page says the redline could not be drawn and shows the document.
A real extractor (pypdf) would replace `pdf_text` and nothing else.
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

TEXT_OPERATORS = re.compile(
    rb"\((?P<string>(?:\\.|[^\\)])*)\)\s*(?:Tj|'|\")|\[(?P<array>(?:\\.|[^\]])*)\]\s*TJ"
    rb"|(?P<newline>T\*|Td|TD|Tm|ET)"
)
ESCAPES = {b"n": b"\n", b"r": b"", b"t": b" ", b"b": b"", b"f": b"", b"(": b"(", b")": b")"}


def _unescape(raw: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(raw):
        char = raw[i : i + 1]
        if char == b"\\" and i + 1 < len(raw):
            nxt = raw[i + 1 : i + 2]
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            out += ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += char
        i += 1
    return out.decode("latin-1")


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages, one line per text-positioning step (see the module
    docstring for what this reads and what it cannot)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    lines: list[str] = []
    for index in range(_page_count(reader)):
        page, _ = reader.find_page_for_modification(index)
        contents = page.get_object().get("/Contents")
        contents = contents.get_object() if hasattr(contents, "get_object") else contents
        streams = contents if isinstance(contents, list) else [contents]
        current = ""
        for stream in streams:
            stream = stream.get_object() if hasattr(stream, "get_object") else stream
            for match in TEXT_OPERATORS.finditer(stream.data):
                if match.group("newline"):
                    if current.strip():
                        lines.append(current.strip())
                    current = ""
                elif match.group("string") is not None:
                    current += _unescape(match.group("string"))
                else:
                    parts = re.findall(rb"\((?:\\.|[^\\)])*\)", match.group("array"))
                    current += "".join(_unescape(p[1:-1]) for p in parts)
        if current.strip():
            lines.append(current.strip())
    return "\n".join(lines)


def _page_count(reader) -> int:
    return int(reader.root["/Pages"]["/Count"])


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
