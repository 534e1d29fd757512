"""Uploaded content never runs (issue 10): what a controlled document or a training
record's evidence may be, decided by the bytes, never by the file name or the type
the browser declared.

Accepted: PDF, PNG, JPEG, GIF, WebP and UTF-8 plain text or Markdown. Everything
else is refused with a message a person can act on, notably:

- HTML, SVG and XML: markup a browser would run. SVG is refused outright rather than
  sanitised; a sanitiser is one more thing to keep right, and a drawing can be a PNG.
- polyglots: a file that is a valid PDF or image *and* carries HTML or script
  markup (``<script``, ``<html``, ``<svg``, ``<iframe`` …) anywhere in its bytes, so
  that a browser sniffing it, or a viewer that ignores the header, finds a page.
- active PDF content, found with pyHanko's PDF reader (not a byte scan: a byte scan
  misses names hidden in compressed object streams or spelt with ``#xx`` escapes).
  Every object reachable from the trailer is visited; a dictionary with a
  JavaScript action (``/S /JavaScript``, ``/JS``, a ``/JavaScript`` name tree,
  whether reached from ``/OpenAction``, a link or a form field), a launch,
  import-data, submit-form or rendition action, a ``javascript:`` link, additional
  actions (``/AA``), embedded or attached files (``/EmbeddedFiles``, ``/EmbeddedFile``,
  ``/FileAttachment``), rich media or an XFA form is refused. A PDF pyHanko cannot
  parse, or whose content stays encrypted, is refused: what cannot be inspected is
  not accepted.
- anything larger than ``QUALIFY_MAX_UPLOAD_MB`` (settings).

`check_upload` returns the type the bytes proved (served later as the stored
content type), a safe file name and the SHA-256 of the original bytes, which are
stored unchanged as evidence. `served_type` re-runs the type detection (not the
active-content scan) on stored bytes when they are served.
"""

import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File

PDF = "application/pdf"
TEXT = "text/plain; charset=utf-8"
ZIP = "application/zip"
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {
    PDF: ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    TEXT: ".txt",
    ZIP: ".zip",
}
TEXT_EXTENSIONS = (".txt", ".md", ".markdown", ".text")
ACCEPTED = "a PDF, an image (PNG, JPEG, GIF or WebP), or plain text or Markdown"

# Markup a browser would render or run, looked for in every accepted file.
_MARKUP = re.compile(
    rb"<\s*(script|html|svg|iframe|frame|object|embed|body|head|meta|link|style|form|img|"
    rb"base|math|xml|\?xml|!doctype)[\s>/]|javascript\s*:|vbscript\s*:",
    re.IGNORECASE,
)
# PDF dictionary keys and action types that carry active content.
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "actions run on events",
    "/EmbeddedFiles": "embedded files",
    "/EmbeddedFile": "embedded files",
    "/RichMedia": "rich media",
    "/XFA": "an XFA form",
}
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that launches programs",
    "/ImportData": "an action that imports data",
    "/Rendition": "a media action",
    "/RichMediaExecute": "a media action",
    "/SubmitForm": "a form submission",
    "/GoToE": "a jump into an embedded file",
}
_ACTIVE_SUBTYPES = {"/FileAttachment": "an attached file", "/RichMedia": "rich media"}
_PDF_OBJECT_LIMIT = 200_000


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    name: str
    sha256: str
    size: int


def max_upload_bytes() -> int:
    return int(getattr(settings, "QUALIFY_MAX_UPLOAD_MB", 25)) * 1024 * 1024


def _read_all(upload: Any, limit: int) -> bytes:
    """The upload's bytes, refusing more than `limit` without reading them all."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _too_large(limit: int) -> ValidationError:
    return ValidationError(
        f"The file is larger than {limit // (1024 * 1024)} MB, the most accepted."
    )


def _refuse(why: str) -> ValidationError:
    return ValidationError(f"This file cannot be accepted: {why}. Upload {ACCEPTED}.")


def detect_type(data: bytes) -> str | None:
    """The content type the bytes prove, or None. Magic bytes first, then a full
    decode: Pillow for images, strict UTF-8 for text."""
    if data.startswith(b"%PDF-"):
        return PDF
    if (
        data[:8] == b"\x89PNG\r\n\x1a\n"
        or data[:3] == b"\xff\xd8\xff"
        or data[:6]
        in (
            b"GIF87a",
            b"GIF89a",
        )
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    ):
        return _image_type(data)
    return _text_type(data)


def _image_type(data: bytes) -> str | None:
    from PIL import Image  # Pillow, installed with the project

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except Exception:
        return None
    return IMAGE_TYPES.get(kind or "")


def _text_type(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text):
        return None
    return TEXT


def _markup_in(data: bytes) -> bool:
    return _MARKUP.search(data) is not None


def _pdf_problem(data: bytes) -> str | None:
    """Why this PDF may not be accepted, or None: see the module docstring."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            try:
                reader.decrypt("")
            except Exception:
                return "it is a password-protected PDF, whose content cannot be checked"
        seen: set[tuple[int, int]] = set()
        stack: list[Any] = [reader.trailer_view]
        visited = 0
        while stack:
            item = stack.pop()
            if isinstance(item, generic.IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                item = item.get_object()
            visited += 1
            if visited > _PDF_OBJECT_LIMIT:
                return "the PDF has too many objects to be checked"
            if isinstance(item, generic.DictionaryObject):
                problem = _active_in(item)
                if problem:
                    return f"the PDF contains {problem}"
                stack.extend(item.raw_get(k) for k in item)
            elif isinstance(item, generic.ArrayObject):
                stack.extend(item.raw_get(i) for i in range(len(item)))
    except Exception:
        return "the PDF is damaged or cannot be read"
    return None


def _active_in(dictionary: Any) -> str | None:
    for key, what in _ACTIVE_KEYS.items():
        if key in dictionary:
            return what
    action = dictionary.get("/S") if "/S" in dictionary else None
    if isinstance(action, str) and action in _ACTIVE_ACTIONS:
        return _ACTIVE_ACTIONS[action]
    if action == "/URI":
        target = dictionary.get("/URI")
        if isinstance(target, (bytes, str)) and _MARKUP.search(
            target if isinstance(target, bytes) else str(target).encode("utf-8", "replace")
        ):
            return "a link that runs script"
    subtype = dictionary.get("/Subtype") if "/Subtype" in dictionary else None
    if isinstance(subtype, str) and subtype in _ACTIVE_SUBTYPES:
        return _ACTIVE_SUBTYPES[subtype]
    return None


def safe_name(name: str, content_type: str | None = None) -> str:
    """A file name safe to store and to send in Content-Disposition: the last path
    part only, letters, digits, spaces, dots, dashes and underscores (others become
    "_"), no leading dots, at most 100 characters, and an extension that matches the
    content type the bytes proved."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = unicodedata.normalize("NFKC", name)
    name = "".join(c if (c.isalnum() or c in " ._-") else "_" for c in name)
    name = re.sub(r"\s+", " ", name).strip(" .") or "file"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = "." + ext.lower() if ext else ""
    if content_type is not None:
        wanted = EXTENSIONS.get(content_type, "")
        if (content_type == TEXT and ext in TEXT_EXTENSIONS) or (
            content_type == "image/jpeg" and ext == ".jpeg"
        ):
            wanted = ext
        ext = wanted
    stem = stem.strip(" .")[: 100 - len(ext)] or "file"
    return stem + ext


def check_upload(upload: Any, *, field: str = "file") -> CheckedUpload:
    """Refuse anything but an accepted, inert file (module docstring); return its
    proven type, a safe name and the SHA-256 of its original bytes. Errors are keyed
    by `field` so a form shows them beside the file input."""
    try:
        data = _read_all(upload, max_upload_bytes())
        if not data:
            raise ValidationError("The file is empty.")
        content_type = detect_type(data)
        if content_type is None:
            raise _refuse("its content is not a type Qualify keeps")
        if _markup_in(data):
            raise _refuse("it contains web page markup or script (HTML, SVG or XML)")
        if content_type == PDF:
            problem = _pdf_problem(data)
            if problem:
                raise _refuse(problem)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    original = getattr(upload, "name", "") or ""
    return CheckedUpload(
        content_type=content_type,
        name=safe_name(original, content_type),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


# Issue 15: the file of an e-learning package document is a ZIP, accepted only for a
# document of type "package" and only when the checker the content app registers here
# (qualify.content.apps; documents must not import it) finds it a usable package. It is
# stored as uploaded (never served as is: the content app unpacks and serves it).
package_checkers: list[Callable[[Any], None]] = []


def check_package_upload(upload: Any, *, field: str = "file") -> CheckedUpload:
    """A package ZIP checked by the registered checker; its SHA-256 read in chunks."""
    if not package_checkers:
        raise ValidationError({field: "E-learning packages cannot be stored here."})
    try:
        for check in package_checkers:
            check(upload)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    digest = hashlib.sha256()
    size = 0
    if hasattr(upload, "seek"):
        upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return CheckedUpload(
        content_type=ZIP,
        name=safe_name(getattr(upload, "name", "") or "package.zip", ZIP),
        sha256=digest.hexdigest(),
        size=size,
    )


def checked_file(
    upload: Any, *, field: str = "file", package: bool = False
) -> tuple[File, CheckedUpload]:
    """`check_upload` (or, for a package document, `check_package_upload`), then the
    upload wrapped as a Django File under its safe name, ready for a FileField (the
    bytes are the original ones)."""
    checked = (
        check_package_upload(upload, field=field) if package else check_upload(upload, field=field)
    )
    raw = upload.file if isinstance(upload, File) else upload
    if hasattr(raw, "seek"):
        raw.seek(0)
    return File(raw, name=checked.name), checked


def served_type(head: bytes) -> str | None:
    """The content type to serve stored bytes with (the same detection as at upload);
    None for bytes that prove no accepted type (then they are only downloaded)."""
    return detect_type(head)
