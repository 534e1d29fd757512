"""The PDF writer's fast paths (P93) write the very bytes reportlab's own code writes,
and finished pages are held compressed. How its time grows with the lines written is
measured by `python -m bench.reports` (docs/benchmarks.md), not timed here: a timed
test fails on a busy machine and proves nothing on a quiet one."""

import pytest
import reportlab
from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase.pdfdoc import PDFDocument
from reportlab.pdfbase.ttfonts import TTFont

from qualify.reports.render import pdf
from tests.reports.pdftext import pdf_text

pytestmark = pytest.mark.engine_free

VERA = f"{reportlab.__path__[0]}/fonts/Vera.ttf"

LINES = [
    "Sequence: 1",
    "Actor: Zoë Ångström (zoe) · Action: training.record.signed · Reason: (none)",
    "Changes: status: open → closed; note: a (bracketed) back\\slash",
    "no\u00a0break space, \u201cquotes\u201d \u2013 dash \u2026 ellipsis, \u20ac 12",
    "arrows → and ✓ the font has no glyph for",
    "Changes: status: open → closed",  # a line whose characters are all coded already
    "",
    # More characters than one subset holds: a second subset is started.
    "".join(chr(c) for c in sorted(TTFont("Vera", VERA).face.charToGlyph) if c > 0x7E),
    "\u017f and \u0100 again, then plain ASCII",
]


@pytest.mark.requirement("P93")
def test_the_fast_character_mapping_gives_reportlabs_bytes_and_codes():
    """Steps: the same lines go through reportlab's TrueType mapping and the writer's
    fast one, each on a document of its own; each line maps to the same subsets and
    bytes, and the fonts end with the same character codes (what is embedded)."""
    theirs, ours = TTFont("RefVera", VERA), pdf._Font("FastVera", VERA)
    doc_theirs, doc_ours = PDFDocument(), PDFDocument()
    for _ in range(3):  # again: the second pass takes the fast path
        for line in LINES:
            assert ours.splitString(line, doc_ours) == theirs.splitString(line, doc_theirs), line
    assert ours.state[doc_ours].assignments == theirs.state[doc_theirs].assignments
    assert ours.state[doc_ours].subsets == theirs.state[doc_theirs].subsets
    assert len(ours.state[doc_ours].subsets) == 2


@pytest.mark.requirement("P93")
def test_the_fast_escape_is_reportlabs_escape_for_every_byte():
    """Every byte value, and a string of all of them, escapes as reportlab escapes it."""
    canvas = pdf._Canvas(None)
    everything = bytes(range(256))
    assert canvas._escape(everything) == escapePDF(everything)
    for b in range(256):
        assert canvas._escape(bytes([b])) == escapePDF(bytes([b]))


@pytest.mark.requirement("P93")
def test_characters_without_a_glyph_are_drawn_as_text_a_reader_finds(tmp_path):
    """'old → new' in a PDF line reads back as 'old -> new' (Vera has no arrow glyph;
    an empty box would say nothing to the inspector)."""
    target = tmp_path / "x.pdf"
    pages = pdf._Pages(str(target), "T", "footer")
    pages.lines("status: open → closed; checked ✓")
    pages.finish()
    text = pdf_text(target.read_bytes())
    assert "status: open -> closed; checked v" in text


def _traced_growth(lines: int, tmp_path) -> int:
    """Bytes held by Python just before the save, after drawing `lines` rows."""
    import tracemalloc

    row = "Actor: Ann Example (ann) · Changes: status: open → closed · Record: {n} " * 3
    tracemalloc.start()
    try:
        pages = pdf._Pages(str(tmp_path / f"m{lines}.pdf"), "T", "footer")
        for n in range(lines):
            pages.lines(f"Sequence: {n}", size=8.5, font=pdf.BOLD)
            pages.lines(row.format(n=n), size=7.5, indent=8)
        held, _ = tracemalloc.get_traced_memory()
        pages.finish()
    finally:
        tracemalloc.stop()
    return held


@pytest.mark.requirement("P93")
def test_finished_pages_are_held_compressed_until_the_file_is_saved(tmp_path):
    """reportlab keeps every finished page until it saves the file; the writer
    compresses each page as it is finished, so the memory held per row drawn (traced
    allocations, 1,500 against 6,000 rows of some 230 characters) stays under 600
    bytes (measured: about 380; with the pages held as text as reportlab holds them,
    about 830). The file reads back."""
    small, large = _traced_growth(1500, tmp_path), _traced_growth(6000, tmp_path)
    assert (large - small) / 4500 < 600, (small, large)
    text = pdf_text((tmp_path / "m6000.pdf").read_bytes())
    assert "Sequence: 5999" in text
    assert "status: open -> closed" in text
