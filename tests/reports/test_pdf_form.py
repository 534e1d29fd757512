"""What the PDF exports are made of (issue 13): every font embedded with its Unicode
map, so the text is searchable and copies as written; the document's language named;
and (a limit written down in docs/reports.md) no structure tree: reportlab, the PDF
library in use, cannot write a tagged PDF."""

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from qualify.reports import services
from tests.reports.pdftext import pdf_text


def _obj(value):
    return value.get_object() if isinstance(value, generic.IndirectObject) else value


def _fonts(reader) -> dict[str, dict]:
    found = {}
    for i in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(i)[0].get_object()
        resources = _obj(page["/Resources"])
        for name, font in (_obj(resources.get("/Font")) or {}).items():
            found[f"{i}{name}"] = _obj(font)
        for form in (_obj(resources.get("/XObject")) or {}).values():
            form = _obj(form)
            for name, font in (_obj(_obj(form.get("/Resources", {})).get("/Font")) or {}).items():
                found[f"{i}form{name}"] = _obj(font)
    return found


@pytest.mark.requirement("P19")
def test_pdf_fonts_are_embedded_with_unicode_maps_and_the_language_is_named(auditor):
    request = services.report_request("system-history", {}, user=auditor)
    sink = io.BytesIO()
    services.report_export(actor=auditor, request=request, fmt="pdf", sink=sink)
    data = sink.getvalue()
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    assert str(reader.root["/Lang"]) == "en"
    fonts = _fonts(reader)
    assert fonts
    for where, font in fonts.items():
        assert font["/Subtype"] == "/TrueType", where
        descriptor = _obj(font["/FontDescriptor"])
        assert "/FontFile2" in descriptor, f"{where}: {font['/BaseFont']} not embedded"
        assert _obj(descriptor["/FontFile2"]).data, where
        assert "/ToUnicode" in font, where
    # Searchable: the text reads back as written, line by line.
    lines = pdf_text(data).splitlines()
    assert "System history" in lines
    assert any(line.startswith("Run by: ") and auditor.username in line for line in lines)
    # Not tagged (reportlab cannot): no structure tree, no marked content.
    assert "/StructTreeRoot" not in reader.root
