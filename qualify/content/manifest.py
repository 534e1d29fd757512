"""Reading an e-learning package's manifest: SCORM 1.2, SCORM 2004 (2nd, 3rd, 4th
edition) from ``imsmanifest.xml``, cmi5 from ``cmi5.xml`` (issue 15, point 1).

`parse_package(files)` takes the names in the archive and a reader for one member and
answers a `Manifest` (what can be launched, in which order, with what mastery score)
or raises `PackageError` listing every problem found, in words a document controller
can act on.

Hazards:
- XML is parsed by defusedxml first (no DTDs, entities or external references; a
  "billion laughs" manifest is refused), then, for cmi5 only, validated by lxml
  against the cmi5 CourseStructure.xsd shipped in ``schemas/`` (no network).
- Namespaces differ between SCORM 1.2 exporters (``imscp_rootv1p1p2``) and 2004
  (``imscp_v1p1``), so content-packaging elements are matched by local name.
- Launch paths are resolved with xml:base (manifest, resources, resource) and must
  stay inside the package: absolute paths, ``..`` escapes, backslashes and URLs with
  a scheme are refused for SCORM. cmi5 allows an absolute AU URL (the AU lives
  elsewhere, spec 13.1.4); a relative one must name a file in the package.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

SCORM12 = "scorm12"
SCORM2004 = "scorm2004"
CMI5 = "cmi5"
KINDS = {SCORM12: "SCORM 1.2", SCORM2004: "SCORM 2004", CMI5: "cmi5"}

CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_SCHEMA = Path(__file__).resolve().parent / "schemas" / "CourseStructure.xsd"
# cmi5 8.1: the LMS adds these to the AU's URL; an AU URL that already has one is refused.
CMI5_LAUNCH_PARAMETERS = {"endpoint", "fetch", "actor", "registration", "activityId"}
MOVE_ON = {"Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"}


class PackageError(Exception):
    """The package cannot be used; `problems` says every reason found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Item:
    """A launchable unit: a SCO or asset (SCORM) or an AU (cmi5)."""

    identifier: str
    title: str
    href: str  # path inside the package with its query, or an absolute URL (cmi5)
    scorm_type: str = "sco"  # "sco" or "asset"; "au" for cmi5
    mastery_score: str | None = None  # SCORM 1.2: 0-100; cmi5: 0-1 (decimal as text)
    launch_data: str = ""  # adlcp:datafromlms / dataFromLMS; cmi5 launchParameters
    move_on: str = ""  # cmi5
    launch_method: str = ""  # cmi5: AnyWindow / OwnWindow
    completion_threshold: str | None = None  # SCORM 2004 adlcp:completionThreshold


@dataclass
class Manifest:
    kind: str
    edition: str
    title: str
    items: list[Item]
    identifier: str = ""  # SCORM manifest identifier; cmi5 course id (an IRI)
    sequencing: bool = False  # the manifest carries imsss:sequencing rules
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        items = [Item(**item) for item in data.get("items", [])]
        return cls(**{**data, "items": items})


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _attr(element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (adlcp:scormtype…), case-insensitive."""
    wanted = name.lower()
    for key, value in element.attrib.items():
        if _local(key).lower() == wanted:
            return value
    return None


def _text(element) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _parse_xml(data: bytes, name: str):
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException:
        raise PackageError([f"{name} uses DTDs or entities, which are not accepted."]) from None
    except SafeET.ParseError as error:
        raise PackageError([f"{name} is not well-formed XML ({error})."]) from None


# --- paths ----------------------------------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def inside_package(path: str) -> str | None:
    """`path` (no query) normalised inside the package, or None when it leaves it
    (absolute, drive letter, ``..`` above the root, backslashes, a scheme)."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/") or _SCHEME.match(path):
        return None
    normal = posixpath.normpath(path)
    if normal == "." or normal.startswith("../") or normal == "..":
        return None
    return normal


def _join_base(*parts: str | None) -> str:
    joined = ""
    for part in parts:
        if part:
            joined = posixpath.join(joined, part) if joined else part
    return joined


# --- SCORM ----------------------------------------------------------------------------


def _scorm_edition(root, data: bytes) -> tuple[str, str]:
    metadata = _child(root, "metadata")
    version = _text(_child(metadata, "schemaversion")) if metadata is not None else ""
    # The namespaces declared on the root, read from the bytes (the parser drops xmlns).
    raw = data[:4000].decode("utf-8", "replace")
    namespaces = ""
    lowered = version.lower()
    if lowered == "1.2":
        return SCORM12, "1.2"
    if lowered in {"cam 1.3", "2004 2nd edition"}:
        return SCORM2004, "2004 2nd edition"
    if lowered == "2004 3rd edition":
        return SCORM2004, "2004 3rd edition"
    if lowered == "2004 4th edition":
        return SCORM2004, "2004 4th edition"
    if version:
        raise PackageError([f"imsmanifest.xml names an unknown schema version {version!r}."])
    # No <schemaversion>: infer from the ADL namespace the manifest declares.
    if "adlcp_rootv1p2" in namespaces or "adlcp_rootv1p2" in raw:
        return SCORM12, "1.2"
    if any(ns in raw for ns in ("adlcp_v1p3", "adlseq_v1p3", "adlnav_v1p3", "/imsss")):
        return SCORM2004, "2004 (edition not stated)"
    raise PackageError(
        ["imsmanifest.xml states no schema version and no ADL namespace; it is not SCORM."]
    )


def _decimal(text: str | None, low: Decimal, high: Decimal) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return "invalid"
    if not value.is_finite() or not low <= value <= high:
        return "invalid"
    return str(value)


def _parse_scorm(data: bytes, names: set[str] | None) -> Manifest:
    root = _parse_xml(data, "imsmanifest.xml")
    if _local(root.tag) != "manifest":
        raise PackageError(["imsmanifest.xml has no <manifest> root element."])
    kind, edition = _scorm_edition(root, data)
    problems: list[str] = []
    warnings: list[str] = []
    organizations = _child(root, "organizations")
    orgs = _children(organizations, "organization") if organizations is not None else []
    if not orgs:
        raise PackageError(["imsmanifest.xml has no organization (nothing to launch)."])
    for org in orgs:
        if not (org.get("identifier") or "").strip():
            problems.append("An <organization> has no identifier.")
    default = organizations.get("default")
    org = next((o for o in orgs if o.get("identifier") == default), None) if default else orgs[0]
    if org is None:
        problems.append(f"The default organization {default!r} does not exist.")
        org = orgs[0]
    title = _text(_child(org, "title"))
    if not title:
        problems.append("The organization has no <title>.")
    resources_el = _child(root, "resources")
    resources = {}
    base_all = _join_base(
        root.get(XML_BASE), resources_el.get(XML_BASE) if resources_el is not None else None
    )
    for res in _children(resources_el, "resource") if resources_el is not None else []:
        resources[res.get("identifier")] = res
    items: list[Item] = []
    ids: set[str] = set()

    def walk(element) -> None:
        for item in _children(element, "item"):
            identifier = item.get("identifier") or ""
            if identifier in ids:
                problems.append(f"Item identifier {identifier!r} is used twice.")
            ids.add(identifier)
            ref = item.get("identifierref")
            label = _text(_child(item, "title")) or identifier
            if ref:
                res = resources.get(ref)
                if res is None:
                    problems.append(
                        f"Item {identifier!r} refers to resource {ref!r}, which does not exist."
                    )
                else:
                    items.append(
                        _scorm_item(kind, item, res, identifier, label, base_all, names, problems)
                    )
            walk(item)

    walk(org)
    for res in resources.values():
        base = _join_base(base_all, res.get(XML_BASE))
        for file_el in _children(res, "file"):
            href = file_el.get("href") or ""
            path = inside_package(_join_base(base, href))
            if path is None:
                problems.append(
                    f"Resource {res.get('identifier')!r} names {href!r}, outside the package."
                )
            elif names is not None and path not in names:
                problems.append(
                    f"Resource {res.get('identifier')!r} lists {path!r}, "
                    "which is not in the package."
                )
    if not items and not problems:
        problems.append("No item of the organization launches a resource.")
    sequencing = any(_local(el.tag) == "sequencing" for el in root.iter())
    if sequencing:
        warnings.append(
            "The manifest has SCORM 2004 sequencing rules; Qualify offers continue, previous "
            "and choice between the SCOs in manifest order and does not apply the rules."
        )
    if problems:
        raise PackageError(problems)
    return Manifest(
        kind=kind,
        edition=edition,
        title=title,
        items=items,
        identifier=root.get("identifier") or "",
        sequencing=sequencing,
        warnings=warnings,
    )


def _scorm_item(kind, item, res, identifier, label, base_all, names, problems) -> Item:
    scorm_type = (_attr(res, "scormtype") or "asset").lower()
    href = (res.get("href") or "").strip()
    if not href:
        problems.append(
            f"Item {identifier!r}: its resource {res.get('identifier')!r} "
            "has no launch file (href)."
        )
        return Item(identifier=identifier, title=label, href="", scorm_type=scorm_type)
    url = urlsplit(_join_base(base_all, res.get(XML_BASE), href))
    path = inside_package(url.path)
    if path is None or url.scheme or url.netloc:
        problems.append(f"Item {identifier!r} launches {href!r}, outside the package.")
        path = ""
    elif names is not None and path not in names:
        problems.append(f"Item {identifier!r} launches {path!r}, which is not in the package.")
    parameters = (item.get("parameters") or "").strip()
    query = url.query
    if parameters:
        parameters = parameters.lstrip("?&")
        query = f"{query}&{parameters}" if query else parameters
    launch = path + (f"?{query}" if query else "")
    mastery = None
    threshold = None
    if kind == SCORM12:
        mastery = _decimal(_text(_child(item, "masteryscore")) or None, Decimal(0), Decimal(100))
        data = _text(_child(item, "datafromlms"))
    else:
        data = _text(_child(item, "dataFromLMS"))
        ct = _child(item, "completionThreshold")
        if ct is not None:
            threshold = _decimal(
                ct.get("minProgressMeasure") or _text(ct) or None, Decimal(0), Decimal(1)
            )
        # A 2004 mastery score is the primary objective's minNormalizedMeasure.
        for el in item.iter():
            if (
                _local(el.tag) == "primaryObjective"
                and (el.get("satisfiedByMeasure") or "").lower() == "true"
            ):
                mnm = _child(el, "minNormalizedMeasure")
                mastery = _decimal(_text(mnm) or None, Decimal(-1), Decimal(1))
    if mastery == "invalid" or threshold == "invalid":
        problems.append(f"Item {identifier!r} has a mastery score or threshold out of range.")
        mastery = threshold = None
    return Item(
        identifier=identifier,
        title=label,
        href=launch,
        scorm_type=scorm_type,
        mastery_score=mastery,
        launch_data=data,
        completion_threshold=threshold,
    )


# --- cmi5 -----------------------------------------------------------------------------


def _langstring(element) -> str:
    if element is None:
        return ""
    strings = _children(element, "langstring")
    return _text(strings[0]) if strings else _text(element)


def _is_iri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and not re.search(r"\s", value)


def _validate_cmi5_schema(data: bytes) -> list[str]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    schema = etree.XMLSchema(etree.parse(str(_SCHEMA), parser))
    document = etree.fromstring(data, parser)
    if schema.validate(document):
        return []
    return [f"cmi5.xml line {e.line}: {e.message}" for e in list(schema.error_log)[:10]]


def _parse_cmi5(data: bytes, names: set[str] | None) -> Manifest:
    root = _parse_xml(data, "cmi5.xml")
    if root.tag != f"{{{CMI5_NS}}}courseStructure":
        raise PackageError(["cmi5.xml is not a cmi5 course structure."])
    problems = _validate_cmi5_schema(data)
    course = _child(root, "course")
    course_id = course.get("id", "") if course is not None else ""
    seen: dict[str, str] = {}
    items: list[Item] = []

    def check_id(kind: str, value: str) -> None:
        if not _is_iri(value):
            problems.append(f"The {kind} id {value!r} is not an IRI.")
        if value in seen:
            problems.append(f"The id {value!r} is used twice ({seen[value]} and {kind}).")
        seen[value] = kind

    check_id("course", course_id)
    for element in root.iter():
        name = _local(element.tag)
        if name == "block":
            check_id("block", element.get("id", ""))
        elif name == "objective" and element.get("idref") is None:
            check_id("objective", element.get("id", ""))
        elif name == "au":
            items.append(_cmi5_au(element, names, problems, check_id))
    if not items and not problems:
        problems.append("cmi5.xml has no AU.")
    if problems:
        raise PackageError(problems)
    return Manifest(
        kind=CMI5,
        edition="cmi5",
        title=_langstring(_child(course, "title")),
        items=items,
        identifier=course_id,
    )


def _cmi5_au(element, names, problems, check_id) -> Item:
    au_id = element.get("id", "")
    check_id("AU", au_id)
    url = _text(_child(element, "url"))
    parts = urlsplit(url)
    if not url or re.search(r"\s", url):
        problems.append(f"AU {au_id!r} has an invalid URL {url!r}.")
    elif parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"AU {au_id!r} has an invalid URL {url!r}.")
    else:
        path = inside_package(parts.path)
        if names is None:
            problems.append(
                f"AU {au_id!r} has a relative URL {url!r}; a course structure with relative "
                "URLs must come in a ZIP package with the AU's files."
            )
        elif path is None:
            problems.append(f"AU {au_id!r} launches {url!r}, outside the package.")
        elif path not in names:
            problems.append(f"AU {au_id!r} launches {path!r}, which is not in the package.")
    clash = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)} & CMI5_LAUNCH_PARAMETERS
    if clash:
        problems.append(
            f"AU {au_id!r}: its URL already carries {', '.join(sorted(clash))}, "
            "which the LMS adds at launch."
        )
    mastery = _decimal(element.get("masteryScore"), Decimal(0), Decimal(1))
    if mastery == "invalid":
        problems.append(f"AU {au_id!r} has a mastery score outside 0..1.")
        mastery = None
    return Item(
        identifier=au_id,
        title=_langstring(_child(element, "title")) or au_id,
        href=url,
        scorm_type="au",
        mastery_score=mastery,
        launch_data=_text(_child(element, "launchParameters")),
        move_on=element.get("moveOn") or "NotApplicable",
        launch_method=element.get("launchMethod") or "AnyWindow",
    )


# --- the package ----------------------------------------------------------------------


def parse_package(names: set[str] | None, read: Callable[[str], bytes]) -> Manifest:
    """The package's manifest, from the set of file names in the archive (None: a bare
    manifest without its files, whose references cannot be checked) and a reader."""
    has = (lambda n: n in names) if names is not None else (lambda n: True)
    if names is None or has("imsmanifest.xml"):
        try:
            data = read("imsmanifest.xml")
        except FileNotFoundError:
            data = None
        if data is not None:
            return _parse_scorm(data, names)
    if names is None or has("cmi5.xml"):
        try:
            data = read("cmi5.xml")
        except FileNotFoundError:
            data = None
        if data is not None:
            return _parse_cmi5(data, names)
    nested = sorted(n for n in names or () if n.endswith(("/imsmanifest.xml", "/cmi5.xml")))
    hint = (
        f" (found {nested[0]}: zip the package's folder contents, not the folder)" if nested else ""
    )
    raise PackageError(
        ["The package has no imsmanifest.xml (SCORM) or cmi5.xml (cmi5) at its root" + hint + "."]
    )


def parse_directory(path: Path, *, check_files: bool = True) -> Manifest:
    """A manifest read from an unpacked folder (tests and the vectors)."""
    names = (
        {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
        if check_files
        else None
    )

    def read(name: str) -> bytes:
        target = path / name
        if not target.is_file():
            raise FileNotFoundError(name)
        return target.read_bytes()

    return parse_package(names, read)
