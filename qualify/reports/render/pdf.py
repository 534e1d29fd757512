"""PDF: the header, the headline answer, one block per fact, the inclusion proofs, and
"Page n of N" on every page; then signed (PAdES, qualify.reports.signing).

Drawn on a reportlab canvas row by row (no list of flowables), with the Bitstream
Vera TrueType fonts reportlab ships, embedded as subsets with their Unicode maps, so
the text is searchable and copies correctly. "N" is a form drawn once at the end and
placed on every page. Signature manifestations are text in the rows (name, time,
meaning); a corrected record carries "modified after original entry". reportlab
writes no structure tree, so the PDF is not tagged (docs/reports.md).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import reportlab
from reportlab import rl_config
from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFName,
    PDFStream,
    PDFStreamFilterZCompress,
)
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from qualify.reports.registry import CORRECTED
from qualify.reports.render import cells

FONT, BOLD = "QualifyVera", "QualifyVeraBold"
MODIFIED = "modified after original entry"
_fonts_ready = False
_A85_LOCK = threading.Lock()


class _Font(TTFont):
    """reportlab's TrueType font, with a fast path for the text of a large export.

    reportlab maps each character of every line to its code in the embedded subset in
    a Python loop (`splitString`); a year of audit trail is some 250,000 lines in a
    few dozen distinct characters. Once every character of a line has its code in the
    first subset (after the first few lines, always), the line is mapped by one
    `str.translate` — the bytes reportlab's loop gives, as
    tests/reports/test_pdf_speed.py checks. A line with a character not yet coded
    (or coded in a later subset) takes reportlab's own path, which codes it."""

    def splitString(self, text, doc, encoding="utf-8"):
        state = self.state.get(doc)
        if state is None or not isinstance(text, str) or not text:
            return super().splitString(text, doc, encoding)
        missing = state.__dict__.setdefault("qualify_no_glyph", set())
        cached = getattr(state, "qualify_first_subset", None)
        if cached is None or cached[0] != (len(state.assignments), len(missing)):
            # A character the font has no glyph for is code 0 (.notdef), as reportlab has it.
            table = dict.fromkeys(missing, "\x00")
            table.update((c, chr(n)) for c, n in state.assignments.items() if n < 256)
            if 32 in state.assignments and state.assignments[32] < 256:
                table[0xA0] = table[32]  # reportlab maps a no-break space to the space
            cached = ((len(state.assignments), len(missing)), table, frozenset(map(chr, table)))
            state.qualify_first_subset = cached
        _, table, known = cached
        if known.issuperset(text):
            return [(0, text.translate(table).encode("latin-1"))]
        glyphs = self.face.charToGlyph
        missing.update(c for c in map(ord, text) if c not in glyphs and c != 0xA0)
        return super().splitString(text, doc, encoding)


# PDF string escapes of each byte, as reportlab's escapePDF writes them.
_ESCAPES = {
    c: (f"\\{c:03o}" if c < 32 or c >= 127 else ("\\" + chr(c) if chr(c) in "\\()" else chr(c)))
    for c in range(256)
}


# Characters the reports write that Vera has no glyph for, drawn as the PDF can show
# them (reportlab would draw an empty box and a text extractor would find nothing).
_NO_GLYPH = str.maketrans({"→": "->", "✓": "v", "✗": "x"})


class _Canvas(Canvas):
    """A canvas whose PDF string escaping is one `str.translate` per string, not
    reportlab's Python loop per byte (the same escapes, tests/reports/test_pdf_speed.py)."""

    def _escape(self, s):
        if isinstance(s, bytes):
            return s.decode("latin-1").translate(_ESCAPES)
        return super()._escape(s)


def _fonts() -> None:
    global _fonts_ready
    if not _fonts_ready:
        folder = Path(reportlab.__file__).parent / "fonts"
        pdfmetrics.registerFont(_Font(FONT, str(folder / "Vera.ttf")))
        pdfmetrics.registerFont(_Font(BOLD, str(folder / "VeraBd.ttf")))
        _fonts_ready = True


class _Wrap:
    """Lines of text that fit a width, as reportlab's simpleSplit cuts them (at spaces;
    a word wider than the line stands alone), with each word's width cached: a year of
    audit trail repeats the same field names and values hundreds of thousands of times,
    and measuring a TrueType string is a Python loop per character."""

    LIMIT = 100_000  # cached words per font and size, then the cache starts again

    def __init__(self) -> None:
        self.widths: dict[tuple[str, float], dict[str, float]] = {}

    def __call__(self, text: str, font: str, size: float, width: float) -> list[str]:
        cache = self.widths.setdefault((font, size), {})
        if len(cache) > self.LIMIT:
            cache.clear()
        space = cache.get(" ")
        if space is None:
            space = cache[" "] = pdfmetrics.stringWidth(" ", font, size)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            words: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                w = cache.get(word)
                if w is None:
                    w = cache[word] = pdfmetrics.stringWidth(word, font, size)
                if words and used + space + w > width:
                    lines.append(" ".join(words))
                    words, used = [word], w
                else:
                    used += (space if words else 0.0) + w
                    words.append(word)
            lines.append(" ".join(words))
        return lines


class _Pages:
    """A canvas that flows lines down landscape A4 pages with a footer.

    The lines of a page go into one text object (one BT … ET), with the font and
    colour set only when they change: a text object per line costs more than the
    line's text."""

    def __init__(self, target, title: str, footer: str) -> None:
        _fonts()
        self.width, self.height = landscape(A4)
        self.margin = 14 * mm
        # lang: the document's language in the catalog (/Lang), for screen readers;
        # reportlab writes no structure tree, so that is as far as it goes (not tagged).
        # initialFontName: every page's preamble names a font; reportlab's default is
        # Helvetica, which is never embedded, so it is ours.
        self.canvas = _Canvas(
            target,
            pagesize=(self.width, self.height),
            pageCompression=1,
            lang="en",
            initialFontName=FONT,
            initialFontSize=7,
        )
        self.canvas.setTitle(title)
        self.canvas.setAuthor("Qualify")
        self.canvas.setCreator("Qualify reports")
        self.canvas.setSubject(footer)
        self.footer = footer
        self.page = 0
        self.y = 0.0
        self.wrap = _Wrap()
        self.text = None
        self._start_page()

    def _start_page(self) -> None:
        self.page += 1
        self.y = self.height - self.margin
        c = self.canvas
        c.setFont(FONT, 7)
        c.setFillColor(black)
        text = f"{self.footer} · Page {self.page} of "
        c.drawString(self.margin, self.margin / 2, text)
        c.saveState()
        c.translate(self.margin + pdfmetrics.stringWidth(text, FONT, 7), self.margin / 2)
        c.doForm("page-count")
        c.restoreState()
        self.text = c.beginText()
        self.style: tuple | None = None

    def _end_page(self) -> None:
        self.canvas.drawText(self.text)
        self.canvas.showPage()
        # reportlab keeps each finished page's content as text until it saves the file
        # (a year of audit trail: some 25,000 pages, hundreds of MB). Compress it now,
        # as reportlab would at save (Flate, the same zlib call): a page then holds its
        # compressed stream only, a fifth of the size.
        page = self.canvas._doc.Pages.pages[-1]
        if page.stream and not page.Contents:
            flate = PDFStreamFilterZCompress()
            page.Contents = PDFStream(
                dictionary=PDFDictionary({"Filter": PDFArray([PDFName(flate.pdfname)])}),
                content=flate.encode(page.stream),
            )
            page.stream = None

    def _room(self, needed: float) -> None:
        if self.y - needed < self.margin:
            self._end_page()
            self._start_page()

    def lines(self, text: str, *, size: float = 8, font: str = FONT, color=black, indent=0.0):
        text = text.translate(_NO_GLYPH)
        width = self.width - 2 * self.margin - indent
        leading = size * 1.3
        for line in self.wrap(text, font, size, width) or [""]:
            self._room(leading)
            self.y -= leading
            if self.style != (font, size, color):
                self.text.setFont(font, size)
                self.text.setFillColor(color)
                self.style = (font, size, color)
            self.text.setTextOrigin(self.margin + indent, self.y)
            # textLine, not textOut: textOut measures the line again (a Python loop per
            # character) only to advance a cursor the next line's origin replaces.
            self.text.textLine(line)

    def gap(self, points: float = 4) -> None:
        self.y -= points

    def rule(self) -> None:
        self._room(4)
        self.y -= 2
        self.canvas.setStrokeColor(HexColor("#bbbbbb"))
        self.canvas.line(self.margin, self.y, self.width - self.margin, self.y)
        self.y -= 2

    def finish(self) -> None:
        c = self.canvas
        self._end_page()
        c.beginForm("page-count")
        c.setFont(FONT, 7)
        c.drawString(0, 0, str(self.page))
        c.endForm()
        # The page streams are written Flate-compressed without reportlab's default
        # ASCII85 layer over them: a binary PDF is as valid, a fifth smaller, and
        # reportlab's pure-Python ASCII85 encoder took a seventh of a large export's
        # time. reportlab reads the switch while it writes the file, so it is set for
        # the save only (under a lock: the switch is module-wide).
        with _A85_LOCK:
            before = rl_config.useA85
            rl_config.useA85 = 0
            try:
                c.save()
            finally:
                rl_config.useA85 = before


def write_pdf(request, header, rows, citations, sink) -> int:
    from qualify.reports.signing import sign_pdf

    report = request.report
    fd, unsigned = tempfile.mkstemp(suffix=".pdf")
    os.close(fd)
    try:
        pages = _Pages(unsigned, report.title, f"{report.title} · {header.generated_utc}")
        pages.lines(report.title, size=15, font=BOLD)
        pages.lines(report.question, size=9)
        pages.gap()
        for label, value in header.pairs():
            pages.lines(f"{label}: {value}", size=8)
        pages.rule()
        for label, value in report.summary(request):
            pages.lines(f"{label}: {value}", size=10, font=BOLD if label == "Answer" else FONT)
        pages.rule()
        labels = [c.label for c in report.columns]
        names = [n for c in report.columns for n in c.export_names()]
        n = 0
        for row in rows:
            n += 1
            values = cells(request, row)
            first = f"{labels[0]}: {values[0]}" if values[0] != "" else f"Row {n}"
            marker = f"  [{MODIFIED}]" if row.get(CORRECTED) else ""
            pages.lines(first + marker, size=8.5, font=BOLD)
            parts = []
            by_name = dict(zip([*names, "audit_event"], values, strict=True))
            for column in report.columns[1:]:
                if column.kind == "time":
                    value = by_name[f"{column.name}_local"]
                    if value:
                        value = f"{value} = {by_name[column.name + '_utc']}"
                else:
                    value = by_name[column.name]
                if value not in ("", None):
                    parts.append(f"{column.label}: {value}")
            if by_name["audit_event"]:
                parts.append(f"Audit event: #{by_name['audit_event']}")
            pages.lines(" · ".join(parts), size=7.5, indent=8)
            pages.gap(3)
        pages.rule()
        pages.lines(f"Rows: {n}", size=8, font=BOLD)
        proofs = list(_proof_lines(citations))
        if proofs:
            pages.gap(6)
            pages.lines("Inclusion proofs of the cited audit events (RFC 6962)", font=BOLD)
            pages.lines(
                "Each cited event is leaf (event - 1) of the checkpoint's tree; the path "
                "hashes lead from the leaf hash to the checkpoint root.",
                size=7,
            )
            for line in proofs:
                pages.lines(line, size=6)
        pages.finish()
        # pyHanko seeks back into its output to place the signature: sign into a
        # spooled file, then copy into the (hashing, write-only) sink.
        with open(unsigned, "rb") as infile, tempfile.SpooledTemporaryFile(2**24) as spool:
            sign_pdf(infile, spool, reason=f"{report.title}: exported by {header.user}")
            spool.seek(0)
            while chunk := spool.read(2**20):
                sink.write(chunk)
    finally:
        os.unlink(unsigned)
    return n


def _proof_lines(citations):
    for seq, leaf, path in citations.proofs():
        yield f"Event {seq}: leaf {leaf}; path {' '.join(path) or '(none: a one-event tree)'}"
