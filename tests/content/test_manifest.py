"""P47: reading SCORM 1.2, SCORM 2004 and cmi5 manifests, checked against the public
test vectors (tests/vectors: elearning-module-parser's edge cases, the CATAPULT cmi5
LMS test suite's course structures, the cmi5 specification's examples)."""

import pytest

from qualify.content.manifest import (
    CMI5,
    SCORM12,
    SCORM2004,
    PackageError,
    inside_package,
    parse_directory,
    parse_package,
)
from tests.content import packages
from tests.vector_files import vector_files, vector_path

pytestmark = pytest.mark.requirement("P47")

SCORM_VECTORS = "scorm-edge-case-manifests-elearning-module-parser"
CMI5_VECTORS = "cmi5-catapult-lts-course-structures"
AU = "AU 'https://w3id.org/xapi/cmi5/catapult/lts/au/"
ID = "The id 'https://w3id.org/xapi/cmi5/catapult/lts/"
SCORM = {
    p.parent.name: p.parent
    for p in vector_files(SCORM_VECTORS, "scorm*/*/imsmanifest.xml", expected=13)
}


def _bare(xml: bytes, name: str = "cmi5.xml"):
    """A manifest alone (no archive): its file references cannot be checked."""

    def read(wanted):
        if wanted != name:
            raise FileNotFoundError(wanted)
        return xml

    return parse_package(None, read)


# --- SCORM: what is accepted -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "edition", "first"),
    [
        (
            "MultipleItemsWithIdentifierRef_SCORM12",
            SCORM12,
            "1.2",
            ("item_1", "content/item1.html"),
        ),
        (
            "LaunchUrlFromNestedItem_SCORM12",
            SCORM12,
            "1.2",
            ("topic_1_1_1_1", "content/topic1.html"),
        ),
        ("PrerequisitesTest_SCORM12", SCORM12, "1.2", ("module1", "module1.html")),
    ],
)
def test_a_valid_scorm_package_is_detected_with_its_items_in_order(name, kind, edition, first):
    """A package whose files are all present: kind and edition detected, every
    launchable item found in manifest order (nested items included)."""
    manifest = parse_directory(SCORM[name])
    assert (manifest.kind, manifest.edition) == (kind, edition)
    assert (manifest.items[0].identifier, manifest.items[0].href) == first
    assert len({i.identifier for i in manifest.items}) == len(manifest.items)


def test_scorm_2004_third_edition_and_its_sequencing_are_reported():
    manifest = parse_directory(SCORM["AdlAttributes_SCORM20043rdEdition"], check_files=False)
    assert (manifest.kind, manifest.edition) == (SCORM2004, "2004 3rd edition")
    assert manifest.items[0].launch_data == "Launch Data"
    assert manifest.items[0].completion_threshold == "0.75"
    # Sequencing rules are not applied; the import says so instead of pretending.
    assert manifest.sequencing
    assert "does not apply the rules" in manifest.warnings[0]


def test_a_2004_manifest_without_schemaversion_is_recognised_by_its_adl_namespaces():
    manifest = parse_directory(
        SCORM["ContentPackagingNoSchemaVersion_SCORM20042ndEdition"], check_files=False
    )
    assert manifest.kind == SCORM2004
    assert manifest.items[0].href == "index.html"


def test_a_minimal_2004_manifest_is_read_but_its_missing_launch_file_is_refused():
    folder = SCORM["MinimalValid_SCORM20043rdEdition"]
    assert parse_directory(folder, check_files=False).kind == SCORM2004
    with pytest.raises(PackageError) as refused:
        parse_directory(folder)
    assert refused.value.problems == [
        "Item 'item1' launches 'index.html', which is not in the package."
    ]


def test_nested_organisation_lists_every_launchable_item_depth_first():
    manifest = parse_directory(SCORM["ComplexNestedOrganization_SCORM12"], check_files=False)
    ids = [i.identifier for i in manifest.items]
    assert ids[:4] == ["module_1", "chapter_1_1", "section_1_1_1", "topic_1_1_1_1"]
    assert "module_3" in ids


# --- SCORM: what is refused, and why --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("MalformedXml_SCORM12", "imsmanifest.xml is not well-formed XML (mismatched tag: line 27"),
        ("MissingRequiredFields_SCORM12", "The organization has no <title>."),
        (
            "MissingLaunchUrl_SCORM12",
            "Item 'item_1': its resource 'resource_1' has no launch file (href).",
        ),
        (
            "ItemWithNonExistentResourceId_SCORM12",
            "Item 'item_1' refers to resource 'non_existent_resource'",
        ),
        ("InvalidMissingOrgIdentifier_SCORM20043rdEdition", "An <organization> has no identifier."),
        (
            "InvalidFileReferences_SCORM12",
            "Item 'item_1' launches 'content/nonexistent.html', which is not in the package.",
        ),
    ],
)
def test_an_invalid_scorm_package_is_refused_naming_the_problem(name, problem):
    with pytest.raises(PackageError) as refused:
        parse_directory(SCORM[name])
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


def test_every_missing_file_of_a_resource_is_named():
    with pytest.raises(PackageError) as refused:
        parse_directory(SCORM["InvalidFileReferences_SCORM12"])
    missing = [p for p in refused.value.problems if "lists" in p]
    assert len(missing) == 4


@pytest.mark.parametrize(
    "href",
    [
        "../outside.html",
        "/etc/passwd",
        "C:/Windows/win.ini",
        "http://evil.example/x.html",
        "a\\..\\..\\b.html",
    ],
)
def test_a_launch_file_outside_the_package_is_refused(href):
    xml = packages.scorm12_manifest(href=href).encode()

    def read(name):
        return xml

    with pytest.raises(PackageError) as refused:
        parse_package({"imsmanifest.xml", "sco.html", "sco12.js"}, read)
    assert any("outside the package" in p for p in refused.value.problems)


def test_xml_base_is_applied_to_launch_and_file_paths():
    xml = packages.scorm2004_manifest().encode()
    names = {"imsmanifest.xml", "content/part1.html", "content/part2.html", "content/sco2004.js"}
    manifest = parse_package(names, lambda n: xml)
    assert [i.href for i in manifest.items] == ["content/part1.html", "content/part2.html"]
    assert manifest.edition == "2004 4th edition"


def test_a_manifest_with_entities_is_refused():
    xml = b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><manifest>&a;</manifest>'
    with pytest.raises(PackageError) as refused:
        parse_package({"imsmanifest.xml"}, lambda n: xml)
    assert "DTDs or entities" in refused.value.problems[0]


def test_a_scorm_12_mastery_score_is_kept_for_the_completion_rule():
    xml = packages.scorm12_manifest(mastery="75").encode()
    manifest = parse_package({"imsmanifest.xml", "sco.html", "sco12.js"}, lambda n: xml)
    assert manifest.items[0].mastery_score == "75"


def test_paths_inside_the_package_are_normalised_and_escapes_refused():
    assert inside_package("a/./b/../c.html") == "a/c.html"
    for bad in ("", "..", "../a", "a/../../b", "/a", "\\a", "file:///a", "a\x00b"):
        assert inside_package(bad) is None


# --- cmi5: the CATAPULT LMS test suite's course structures ------------------------------


CATAPULT_OK = [
    "001-essentials",
    "002-allowed",
    "003-launchMethod-OwnWindow",
    "004-1-moveOn-Completed",
    "004-2-moveOn-CompletedOrPassed",
    "004-3-moveOn-Passed",
    "004-4-moveOn-CompletedOrPassed",
    "004-5-moveOn-NotApplicable",
    "006-launchMode",
    "007-1-multi-session",
    "007-2-multi-session",
    "008-1-abandoned",
    "009-1-waived",
    "102-zip64",
]


@pytest.mark.parametrize("name", CATAPULT_OK)
def test_a_catapult_course_structure_with_its_au_file_is_accepted(name):
    xml = vector_path(CMI5_VECTORS, name, "cmi5.xml").read_bytes()
    manifest = parse_package({"cmi5.xml", "index.html"}, lambda n: xml)
    assert manifest.kind == CMI5
    assert manifest.identifier.startswith("https://w3id.org/xapi/cmi5/catapult/lts/course/")
    assert all(
        i.move_on
        in {"Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"}
        for i in manifest.items
    )


def test_the_essentials_au_keeps_its_move_on_mastery_score_and_parameters():
    xml = vector_path(CMI5_VECTORS, "001-essentials", "cmi5.xml").read_bytes()
    au = parse_package({"cmi5.xml", "index.html"}, lambda n: xml).items[0]
    assert (au.move_on, au.mastery_score, au.launch_method) == (
        "CompletedAndPassed",
        "0.9",
        "AnyWindow",
    )
    assert au.href == "index.html?paramA=1&paramB=2"
    assert au.launch_data == "sample string"


def test_one_thousand_aus_with_absolute_urls_are_accepted():
    """cmi5 6.1.0.0-2 (CATAPULT 101)."""
    xml = vector_path(CMI5_VECTORS, "101-one-thousand-aus.xml").read_bytes()
    manifest = _bare(xml)
    assert len(manifest.items) == 1001
    assert manifest.items[0].href == "http://example.com/index.html"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("201-1-iris-course-id.xml", "The course id 'w3id.org/"),
        ("201-2-iris-block-id.xml", "The block id 'w3id.org/"),
        ("201-3-iris-au-id.xml", "The AU id 'w3id.org/"),
        ("201-4-iris-objective-id.xml", "The objective id 'w3id.org/"),
        (
            "202-1-relative-url-no-zip.xml",
            AU + "202-1-relative-url-no-zip' has a relative URL",
        ),
        (
            "202-5-relative-url-no-zip.xml",
            AU + "202-5-relative-url-no-zip' has a relative URL",
        ),
        (
            "204-query-string-conflict-endpoint.xml",
            AU + "204-query-string-conflict-endpoint': its URL already carries endpoint",
        ),
        (
            "205-1-duplicated-block.xml",
            ID + "block/205-1-duplicated-block' is used twice",
        ),
        (
            "205-2-duplicated-objective.xml",
            ID.replace("https", "http") + "objective/205-2-duplicated-objective' is used twice",
        ),
        (
            "205-3-duplicated-au.xml",
            ID + "au/205-3-duplicated-au' is used twice",
        ),
        (
            "206-1-invalid-au-url.xml",
            AU + "205-3-duplicated-au' has an invalid URL",
        ),
        ("207-1-invalid-courseStructure.xml", "cmi5.xml line 28: Element"),
    ],
)
def test_a_catapult_course_structure_the_suite_rejects_is_refused(name, problem):
    xml = vector_path(CMI5_VECTORS, name).read_bytes()
    with pytest.raises(PackageError) as refused:
        _bare(xml)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


def test_a_relative_au_url_naming_a_file_not_in_the_package_is_refused():
    """cmi5 14.1.0.0-4 (CATAPULT 203-1)."""
    xml = vector_path(CMI5_VECTORS, "203-1-relative-url-no-reference", "cmi5.xml").read_bytes()
    with pytest.raises(PackageError) as refused:
        parse_package({"cmi5.xml", "index.html"}, lambda n: xml)
    assert refused.value.problems[-1].endswith(
        "launches 'not-found.html', which is not in the package."
    )


@pytest.mark.parametrize("name", ["simple-cmi5.xml", "complex-cmi5.xml", "extended-cmi5.xml"])
def test_the_cmi5_specification_examples_are_read(name):
    xml = vector_path("cmi5-aicc-spec-samples", "v1", "examples", name).read_bytes()
    # Read as inside a package holding every file its AUs name.
    manifest = parse_package(_AnyName(), lambda n: xml)
    assert manifest.kind == CMI5
    assert manifest.items


class _AnyName(set):
    def __contains__(self, name):
        return name in ("cmi5.xml",) or not name.endswith(".xml")


def test_a_package_without_a_manifest_says_where_one_was_found():
    with pytest.raises(PackageError) as refused:
        parse_package({"course/imsmanifest.xml", "course/a.html"}, lambda n: b"")
    assert "found course/imsmanifest.xml" in refused.value.problems[0]
