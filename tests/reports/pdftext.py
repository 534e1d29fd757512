"""Reading the text of an exported PDF with pyHanko's PDF reader (no other PDF library
is installed): each page's content stream and the form XObjects it draws, each text
string mapped to Unicode through its font's /ToUnicode map, as a viewer's search
does. Enough for the fonts reportlab embeds; not a general extractor."""

import io
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

_TOKEN = re.compile(
    rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|\[|\]|/[^\s/\[\]()<>]+|[-+.\d]+|[A-Za-z'\"*]+",
    re.S,
)


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):
            n = raw[i + 1]
            simple = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
            if n in simple:
                out.append(simple[n])
                i += 2
            elif 0x30 <= n <= 0x37:
                j = i + 1
                while j < len(raw) and j < i + 4 and 0x30 <= raw[j] <= 0x37:
                    j += 1
                out.append(int(raw[i + 1 : j], 8) & 0xFF)
                i = j
            else:
                out.append(n)
                i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


def _deref(value):
    return value.get_object() if isinstance(value, generic.IndirectObject) else value


def _cmap(font) -> dict[int, str]:
    mapping: dict[int, str] = {}
    if "/ToUnicode" not in font:
        return mapping
    data = _deref(font["/ToUnicode"]).data.decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(dst, 16)
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + k)
    return mapping


def _decode(data: bytes, cmap: dict[int, str]) -> str:
    if not cmap:
        return data.decode("latin-1")
    return "".join(cmap.get(b, "") for b in data)


def _run(content: bytes, resources, out: list[str]) -> None:
    resources = _deref(resources) or {}
    fonts = _deref(resources.get("/Font")) or {}
    xobjects = _deref(resources.get("/XObject")) or {}
    cmaps = {name: _cmap(_deref(fonts[name])) for name in fonts}
    current: dict[int, str] = {}
    line: list[str] = []
    operands: list[bytes] = []
    for token in _TOKEN.findall(content):
        if token.startswith(b"/") or token[:1] in b"(<[]" or re.fullmatch(rb"[-+.\d]+", token):
            operands.append(token)
            continue
        op = token.decode("latin-1")
        if op == "Tf" and len(operands) >= 2:
            current = cmaps.get(operands[-2].decode("latin-1"), {})
        elif op in ("Tj", "'", '"', "TJ"):
            for t in operands:
                if t.startswith(b"("):
                    line.append(_decode(_unescape(t[1:-1]), current))
                elif t.startswith(b"<"):
                    line.append(_decode(bytes.fromhex(t[1:-1].decode()), current))
        elif op in ("ET", "Td", "TD", "T*", "Tm"):
            # A new text position starts a new line (the exports set one per line).
            if line:
                out.append("".join(line))
                line = []
        elif op == "Do" and operands:
            name = operands[-1].decode("latin-1")
            if name in xobjects:
                form = _deref(xobjects[name])
                _run(form.data, form.get("/Resources"), out)
        operands = []
    if line:
        out.append("".join(line))


def pdf_text(data: bytes) -> str:
    """All text of the PDF, one line per text object, pages in order."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    out: list[str] = []
    for i in range(len(reader.root["/Pages"]["/Kids"]) and _page_count(reader)):
        page = reader.find_page_for_modification(i)[0].get_object()
        contents = page["/Contents"]
        if isinstance(contents, generic.ArrayObject):
            content = b"".join(c.get_object().data for c in contents)
        else:
            content = contents.get_object().data
        _run(content, page.get("/Resources"), out)
        out.append("\f")
    return "\n".join(out)


def _page_count(reader) -> int:
    return int(reader.root["/Pages"]["/Count"])
