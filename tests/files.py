"""Real files built in the tests: a valid PDF (with or without active content), images
and hostile files, so upload checks are tested on bytes a browser or viewer would
really meet, never on a fake header."""

import io
import zlib


def pdf(
    text: str = "Procedure",
    *,
    catalog_extra: str = "",
    page_extra: str = "",
    extra_objects: tuple[str, ...] = (),
    compress_catalog: bool = False,
) -> bytes:
    """A one-page PDF with a correct cross-reference table. `catalog_extra` and
    `page_extra` are raw dictionary entries; `extra_objects` are numbered from 5.
    `compress_catalog` hides the catalog in a compressed object stream (PDF 1.5), so
    a byte scan cannot see its keys."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    catalog = f"<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>"
    objects = [
        catalog,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R {page_extra} >>",
        None,  # the content stream
        *extra_objects,
    ]
    if compress_catalog:
        return _pdf_with_object_stream(objects, content)
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        if body is None:
            out.write(
                f"{number} 0 obj\n<< /Length {len(content)} >>\nstream\n".encode()
                + content
                + b"\nendstream\nendobj\n"
            )
        else:
            out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def _pdf_with_object_stream(objects: list, content: bytes) -> bytes:
    """Objects 1-3 (and extras) in one compressed object stream; the content stream
    (4) stays a plain object; a cross-reference stream indexes them."""
    inside = [n for n in range(1, len(objects) + 1) if n != 4]
    bodies = [objects[n - 1].encode() for n in inside]
    header_parts, position = [], 0
    for number, body in zip(inside, bodies, strict=True):
        header_parts.append(f"{number} {position}")
        position += len(body) + 1
    header = (" ".join(header_parts) + " ").encode()
    packed = zlib.compress(header + b"".join(b + b"\n" for b in bodies))
    stream_number = len(objects) + 1
    xref_number = stream_number + 1
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    offsets[4] = out.tell()
    out.write(
        f"4 0 obj\n<< /Length {len(content)} >>\nstream\n".encode()
        + content
        + b"\nendstream\nendobj\n"
    )
    offsets[stream_number] = out.tell()
    out.write(
        f"{stream_number} 0 obj\n<< /Type /ObjStm /N {len(inside)} /First {len(header)} "
        f"/Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode()
        + packed
        + b"\nendstream\nendobj\n"
    )
    offsets[xref_number] = out.tell()
    # /W [1 4 2]: type, offset or object stream number, generation or index.
    table = bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")
    for number in range(1, xref_number + 1):
        if number in inside:
            table += bytes([2]) + stream_number.to_bytes(4, "big")
            table += inside.index(number).to_bytes(2, "big")
        else:
            table += bytes([1]) + offsets[number].to_bytes(4, "big") + (0).to_bytes(2, "big")
    out.write(
        f"{xref_number} 0 obj\n<< /Type /XRef /Size {xref_number + 1} /W [1 4 2] /Root 1 0 R "
        f"/Length {len(table)} >>\nstream\n".encode()
        + table
        + b"\nendstream\nendobj\n"
    )
    out.write(f"startxref\n{offsets[xref_number]}\n%%EOF\n".encode())
    return out.getvalue()


def png(width: int = 4, height: int = 4) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def image(kind: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 30, 200)).save(buffer, format=kind)
    return buffer.getvalue()


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script></svg>"
)
