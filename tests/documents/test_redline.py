"""L3 redline: sections paired by heading, added/removed/moved lines, notes, changed
sections first, and text drawn from a PDF."""

import io

import pytest

from qualify.documents.redline import pdf_text, redline, sections

OLD = """# Purpose
Fill vials aseptically.
# 1. Cleaning
Wipe with IPA.
Dry the surface.
# 2. Records
Sign the batch record.
# Disposal
Bin the wipes.
"""
NEW = """# Purpose
Fill vials aseptically.
Dry the surface.
# 1. Cleaning
Wipe with 70% IPA.
# 2. Records
Sign the batch record.
# 3. Escalation
Call QA on any deviation.
"""


@pytest.mark.requirement("L3", "P42")
def test_the_redline_shows_added_removed_and_moved_lines_changed_sections_first():
    result = redline(OLD, NEW, {"cleaning": "IPA concentration stated (CAPA-12)"})
    by_title = {s.title: s for s in result.sections}
    cleaning = by_title["1. Cleaning"]
    assert cleaning.status == "changed"
    assert [(x.kind, x.text) for x in cleaning.lines] == [
        ("removed", "Wipe with IPA."),
        ("moved-out", "Dry the surface."),
        ("added", "Wipe with 70% IPA."),
    ]
    assert cleaning.note == "IPA concentration stated (CAPA-12)"
    assert ("moved-in", "Dry the surface.") in [(x.kind, x.text) for x in by_title["Purpose"].lines]
    assert by_title["3. Escalation"].status == "added"
    assert by_title["Disposal"].status == "removed"
    assert by_title["2. Records"].status == "unchanged"
    statuses = [s.status for s in result.sections]
    assert statuses[-1] == "unchanged"
    assert "unchanged" not in statuses[:-1]
    assert result.count("moved-in") == 1


@pytest.mark.requirement("L3", "P42")
def test_renumbered_sections_are_paired_by_their_heading():
    result = redline("## 4 Scope\nAll lines.\n", "## 5 Scope\nAll lines.\n")
    (section,) = result.sections
    assert section.status == "changed"  # the heading changed, the text did not
    assert [x.kind for x in section.lines] == ["same"]


@pytest.mark.requirement("L3")
def test_numbered_headings_cut_plain_text_into_sections():
    assert [t for t, _ in sections("Intro line\n1. Purpose\nText\n4.2 Cleaning Steps\nMore")] == [
        "(start of the document)",
        "1. Purpose",
        "4.2 Cleaning Steps",
    ]


@pytest.mark.requirement("L3", "P42")
def test_text_is_drawn_from_a_pdf_for_the_redline():
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for n, text in enumerate(["1. Purpose", "Fill vials (aseptically)", "2. Cleaning", "Wipe"]):
        page.drawString(50, 800 - 20 * n, text)
    page.showPage()
    page.drawString(50, 800, "3. Records")
    page.save()
    assert pdf_text(buffer.getvalue()).split("\n") == [
        "1. Purpose",
        "Fill vials (aseptically)",
        "2. Cleaning",
        "Wipe",
        "3. Records",
    ]
