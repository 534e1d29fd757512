"""Building a package from an authored course (issue 15, point 5, "authoring light").

`build(course, standard)` answers the bytes of a ZIP that other LMSs import: a SCORM
2004 4th edition package (``imsmanifest.xml``, one SCO) or a cmi5 package (``cmi5.xml``,
one AU). The SCO/AU is the same page (``index.html`` with ``course.js``): the course's
pages one after the other, then the assessment; it reports through the SCORM 2004 API
(``API_1484_11``: Initialize, SetValue, Commit, Terminate) or through cmi5's xAPI
statements (initialized, completed, passed/failed, terminated).

Every manifest written is checked here before the ZIP is answered: the SCORM manifest
against Qualify's own schema of what it writes (``schemas/qualify_imscp_export.xsd``;
the IMS and ADL originals are not shipped), the cmi5 course structure against the cmi5
``CourseStructure.xsd``; and the ZIP against our own importer (`archive.inspect`), so
an export Qualify would refuse is never handed out.

Hazards:
- An exported package scores its assessment in the browser, with the answer key in
  ``course-data.js``, as every SCORM or cmi5 package does: whoever can open the package's
  files can read the answers. L1 (answers never reach the browser) holds for Qualify's
  own assessments, not for an exported course; a requirement that needs L1 uses an
  assessment (method "assessment") beside the course.
- Page text is Markdown rendered with raw HTML off and only http(s)/mailto/relative
  links (as qualify.web.markdown), so no page can carry script of its own.
- Free-text questions (a trainer reviews them) and ordering questions cannot be scored
  by the exported package; a bank holding them is refused with their keys named.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from qualify.content import archive
from qualify.content.manifest import CMI5, CMI5_NS, SCORM2004, PackageError

ASSETS = Path(__file__).resolve().parent / "export_assets"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
SCORM_SCHEMA = SCHEMAS / "qualify_imscp_export.xsd"
# Kinds of the question bank (qualify.assessments) the exported player scores.
SCORED_KINDS = {"single", "multiple", "true_false", "numeric", "short_text", "wrong_step"}
IMAGE_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}
# Fixed member times: the same course gives the same bytes (and SHA-256).
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class ExportError(Exception):
    """The course cannot be exported; `problems` names every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class PageOut:
    title: str
    text: str = ""
    image: bytes | None = None
    image_type: str = ""
    image_alt: str = ""


@dataclass
class CourseOut:
    """What is exported: the course as it stands, the questions of the bank version in
    force (the bank's interchange format, qualify.assessments.bank) and where they
    come from."""

    identifier: str  # an absolute IRI, stable across the course's versions
    title: str
    description: str = ""
    pages: list[PageOut] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)
    pass_mark: Decimal = Decimal(80)  # percent
    source: str = ""  # e.g. "QB-001 rev 2", written into the package


# --- checks --------------------------------------------------------------------------


def _player_question(n: int, q: dict, problems: list[str]) -> dict | None:
    key = str(q.get("key") or f"Q{n}")
    kind = q.get("kind")
    if kind not in SCORED_KINDS:
        why = {
            "free_text": "free-text answers need a trainer's review",
            "ordering": "ordering questions are not scored by the exported player",
        }.get(kind, f"its kind {kind!r} is unknown")
        problems.append(f"Question {key} cannot go into an exported package: {why}.")
        return None
    out = {"key": key, "kind": kind, "prompt": str(q.get("prompt") or ""), "options": []}
    if q.get("excerpt"):
        out["excerpt"] = str(q["excerpt"])
    options = [str(o) for o in q.get("options") or []]
    answer = q.get("answer")
    if kind in ("single", "wrong_step"):
        if str(answer) not in options:
            problems.append(f"Question {key}: its answer is not one of its options.")
            return None
        out["options"], out["answer"] = options, str(options.index(str(answer)))
    elif kind == "multiple":
        wanted = answer if isinstance(answer, list) else [answer]
        if not wanted or any(str(a) not in options for a in wanted):
            problems.append(f"Question {key}: its answers are not among its options.")
            return None
        out["options"] = options
        out["answer"] = [str(options.index(str(a))) for a in wanted]
    elif kind == "true_false":
        if not isinstance(answer, bool):
            problems.append(f"Question {key}: the answer is true or false.")
            return None
        out["answer"] = "true" if answer else "false"
    elif kind == "numeric":
        try:
            out["answer"] = float(answer)
            out["tolerance"] = float(q.get("tolerance") or 0)
        except (TypeError, ValueError):
            problems.append(f"Question {key}: the answer is not a number.")
            return None
    elif kind == "short_text":
        accepted = answer if isinstance(answer, list) else [answer]
        out["answer"] = [str(a) for a in accepted if str(a or "").strip()]
        if not out["answer"]:
            problems.append(f"Question {key}: no accepted answer.")
            return None
    return out


def check(course: CourseOut) -> list[dict]:
    """Refuse what cannot be exported, naming every reason; answer the questions as the
    player reads them."""
    problems: list[str] = []
    parts = urlsplit(course.identifier)
    if not parts.scheme or not (parts.netloc or parts.path):
        problems.append(f"The course identifier {course.identifier!r} is not an IRI.")
    if not course.title.strip():
        problems.append("The course has no title.")
    if not course.pages:
        problems.append("The course has no page; add at least one page before exporting.")
    for n, page in enumerate(course.pages, 1):
        if not page.title.strip():
            problems.append(f"Page {n} has no title.")
        if page.image is not None and page.image_type not in IMAGE_EXTENSIONS:
            problems.append(f"Page {n}: its image is not a PNG, JPEG, GIF or WebP image.")
    if not Decimal(0) <= course.pass_mark <= Decimal(100):
        problems.append("The pass mark is a percentage from 0 to 100.")
    questions = [_player_question(n, q, problems) for n, q in enumerate(course.questions, 1)]
    if problems:
        raise ExportError(problems)
    return [q for q in questions if q is not None]


# --- the page ------------------------------------------------------------------------

_markdown = MarkdownIt("commonmark", {"html": False})
_markdown.validateLink = lambda url: (
    urlsplit(url.strip()).scheme.lower()
    in {
        "",
        "http",
        "https",
        "mailto",
    }
)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _question_html(n: int, q: dict) -> str:
    name = f"q{n}"
    parts = [f'<fieldset class="question"><legend>{n + 1}. {_e(q["prompt"])}</legend>']
    if q.get("excerpt"):
        parts.append(f"<blockquote>{_e(q['excerpt'])}</blockquote>")
    kind = q["kind"]
    if kind in ("single", "wrong_step", "multiple"):
        kind_input = "checkbox" if kind == "multiple" else "radio"
        for i, option in enumerate(q["options"]):
            parts.append(
                f'<label><input type="{kind_input}" name="{name}" value="{i}"> {_e(option)}</label>'
            )
    elif kind == "true_false":
        for value, label in (("true", "True"), ("false", "False")):
            parts.append(
                f'<label><input type="radio" name="{name}" value="{value}"> {label}</label>'
            )
    else:
        mode = ' inputmode="decimal"' if kind == "numeric" else ""
        parts.append(
            f'<label>Your answer <input type="text" name="{name}"{mode} autocomplete="off"></label>'
        )
    parts.append("</fieldset>")
    return "\n".join(parts)


def index_html(course: CourseOut, questions: list[dict], images: dict[int, str]) -> str:
    sections = []
    for n, page in enumerate(course.pages):
        image = ""
        if n in images:
            image = f'<figure><img src="{images[n]}" alt="{_e(page.image_alt)}"></figure>'
        sections.append(
            f'<section data-page="{n}" hidden>\n<h2>{_e(page.title)}</h2>\n'
            f"{_markdown.render(page.text or '')}{image}\n</section>"
        )
    if questions:
        body = "\n".join(_question_html(n, q) for n, q in enumerate(questions))
        sections.append(
            f'<section data-page="{len(course.pages)}" hidden>\n<h2>Assessment</h2>\n'
            f"<p>Pass mark {course.pass_mark.normalize():f} %.</p>\n<form>{body}</form>\n</section>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(course.title)}</title>
<link rel="stylesheet" href="course.css">
</head><body>
<header><h1>{_e(course.title)}</h1><p id="lms-status" role="status"></p></header>
<main>
{chr(10).join(sections)}
</main>
<p id="result" role="status"></p>
<nav>
<button id="previous" type="button">Previous</button>
<span id="position"></span>
<button id="next" type="button">Next</button>
<button id="finish" type="button" hidden>Finish</button>
<button id="leave" type="button">Save and leave</button>
</nav>
<script src="course-data.js"></script>
<script src="course.js"></script>
</body></html>
"""


def course_data_js(course: CourseOut, standard: str, questions: list[dict], images) -> str:
    data = {
        "standard": standard,
        "identifier": course.identifier,
        "title": course.title,
        "source": course.source,
        "passScaled": float(course.pass_mark / 100),
        "pages": [{"title": p.title} for p in course.pages],
        "questions": questions,
    }
    # json.dumps escapes nothing HTML cares about here: the file is a script, not HTML.
    return "window.QUALIFY_COURSE = " + json.dumps(data, ensure_ascii=True, indent=1) + ";\n"


# --- manifests -----------------------------------------------------------------------


def _x(text: str) -> str:
    return html.escape(text, quote=True)


def scorm2004_manifest(course: CourseOut, files: list[str]) -> str:
    listed = "\n".join(f'        <file href="{_x(name)}"/>' for name in files)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="qualify-course" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>2004 4th Edition</schemaversion>
  </metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>{_x(course.title)}</title>
      <item identifier="course" identifierref="sco">
        <title>{_x(course.title)}</title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="sco" type="webcontent" adlcp:scormType="sco" href="index.html">
{listed}
    </resource>
  </resources>
</manifest>
"""


def cmi5_structure(course: CourseOut, questions: list[dict]) -> str:
    au = course.identifier.rstrip("/") + "/au/1"
    if questions:
        move_on = "CompletedAndPassed"
        mastery = f' masteryScore="{(course.pass_mark / 100).normalize():f}"'
    else:
        move_on, mastery = "Completed", ""
    description = _x(course.description or course.title)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="{CMI5_NS}">
  <course id="{_x(course.identifier)}">
    <title><langstring lang="en">{_x(course.title)}</langstring></title>
    <description><langstring lang="en">{description}</langstring></description>
  </course>
  <au id="{_x(au)}" moveOn="{move_on}"{mastery} launchMethod="AnyWindow">
    <title><langstring lang="en">{_x(course.title)}</langstring></title>
    <description><langstring lang="en">{description}</langstring></description>
    <url>index.html</url>
  </au>
</courseStructure>
"""


def schema_problems(standard: str, manifest: bytes) -> list[str]:
    """The manifest checked against its schema (no network, no DTD)."""
    from lxml import etree

    path = SCORM_SCHEMA if standard == SCORM2004 else SCHEMAS / "CourseStructure.xsd"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    schema = etree.XMLSchema(etree.parse(str(path), parser))
    document = etree.fromstring(manifest, parser)
    if schema.validate(document):
        return []
    name = "imsmanifest.xml" if standard == SCORM2004 else "cmi5.xml"
    return [f"{name} line {e.line}: {e.message}" for e in list(schema.error_log)[:10]]


# --- the package ---------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, data)
    return buffer.getvalue()


def build(course: CourseOut, standard: str) -> bytes:
    """The package's ZIP. Raises ExportError naming every problem."""
    if standard not in (SCORM2004, CMI5):
        raise ExportError([f"Export as SCORM 2004 or cmi5, not {standard!r}."])
    questions = check(course)
    files: dict[str, bytes] = {}
    images: dict[int, str] = {}
    for n, page in enumerate(course.pages):
        if page.image is not None:
            name = f"images/page-{n + 1}{IMAGE_EXTENSIONS[page.image_type]}"
            images[n] = name
            files[name] = page.image
    files["index.html"] = index_html(course, questions, images).encode()
    files["course-data.js"] = course_data_js(course, standard, questions, images).encode()
    files["course.js"] = (ASSETS / "course.js").read_bytes()
    files["course.css"] = (ASSETS / "course.css").read_bytes()
    if standard == SCORM2004:
        manifest_name = "imsmanifest.xml"
        manifest = scorm2004_manifest(course, sorted(files)).encode()
    else:
        manifest_name = "cmi5.xml"
        manifest = cmi5_structure(course, questions).encode()
    problems = schema_problems(standard, manifest)
    if problems:
        raise ExportError(problems)
    package = _zip({manifest_name: manifest, **files})
    try:
        found = archive.inspect(io.BytesIO(package))
    except PackageError as error:
        raise ExportError(error.problems) from None
    if found.kind != standard:
        raise ExportError([f"The export reads back as {found.kind}, not {standard}."])
    return package
