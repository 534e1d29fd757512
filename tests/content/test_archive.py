"""P47, P52: a package ZIP is opened safely; every bad archive is refused with its
reason before anything is written."""

import io
import stat
import zipfile

import pytest

from qualify.content.archive import Limits, inspect, unpack
from qualify.content.manifest import PackageError
from tests.content import packages
from tests.vector_files import vector_path

pytestmark = pytest.mark.requirement("P47", "P52")

LIMITS = Limits(
    max_bytes=5 * 1024 * 1024, max_unpacked=20 * 1024 * 1024, max_files=50, max_ratio=100
)


def _refused(data, limits: Limits = LIMITS) -> list[str]:
    with pytest.raises(PackageError) as refused:
        inspect(data if hasattr(data, "read") else io.BytesIO(data), limits=limits)
    return refused.value.problems


def _with(extra: dict, *, base=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (base or {}).items():
            archive.writestr(name, content)
        for name, content in extra.items():
            info = content if isinstance(content, zipfile.ZipInfo) else name
            archive.writestr(info, b"x" if isinstance(content, zipfile.ZipInfo) else content)
    return buffer.getvalue()


SCORM12_FILES = {
    "imsmanifest.xml": packages.scorm12_manifest(),
    "sco.html": "<p>x</p>",
    "sco12.js": "",
}


def test_a_good_package_is_inspected_and_unpacked(tmp_path):
    manifest = unpack(io.BytesIO(packages.scorm12_package()), tmp_path / "v1", limits=LIMITS)
    assert manifest.kind == "scorm12"
    assert sorted(p.name for p in (tmp_path / "v1").iterdir()) == [
        "imsmanifest.xml",
        "sco.html",
        "sco12.js",
    ]


def test_unpacking_again_replaces_the_folder_whole(tmp_path):
    unpack(io.BytesIO(packages.scorm12_package()), tmp_path / "v1", limits=LIMITS)
    (tmp_path / "v1" / "stale.txt").write_text("left over")
    unpack(io.BytesIO(packages.scorm12_package()), tmp_path / "v1", limits=LIMITS)
    assert not (tmp_path / "v1" / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["v1"]  # no staging folder left


def test_a_text_file_named_zip_is_refused():
    """cmi5 14.1.0.0-1 (CATAPULT 209-1)."""
    data = vector_path("cmi5-catapult-lts-course-structures", "209-1-not-a-zip.zip").read_bytes()
    assert _refused(data)[0].startswith("The file is not a readable ZIP archive")


def test_a_markdown_file_is_refused():
    """cmi5 14.0.0.0-1 (CATAPULT 208-1)."""
    data = vector_path(
        "cmi5-catapult-lts-course-structures", "208-1-invalid-package.md"
    ).read_bytes()
    assert _refused(data)[0].startswith("The file is not a readable ZIP archive")


def test_a_zip_without_cmi5_xml_at_its_root_is_refused():
    """cmi5 14.1.0.0-2 (CATAPULT 210-1)."""
    problems = _refused(_with({"index.html": "<p>AU</p>"}))
    assert problems == [
        "The package has no imsmanifest.xml (SCORM) or cmi5.xml (cmi5) at its root."
    ]


def test_a_zip64_cmi5_package_is_accepted():
    """cmi5 14.0.0.0-1 (CATAPULT 102-zip64): the archive in ZIP64 format."""
    xml = vector_path("cmi5-catapult-lts-course-structures", "102-zip64", "cmi5.xml").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, content in {"cmi5.xml": xml, "index.html": b"<p>AU</p>"}.items():
            with archive.open(name, "w", force_zip64=True) as handle:
                handle.write(content)
    assert inspect(io.BytesIO(buffer.getvalue()), limits=LIMITS).kind == "cmi5"


def test_a_corrupt_member_is_found_before_anything_is_written(tmp_path):
    data = bytearray(packages.scorm12_package())
    # Flip bytes inside the compressed data of the last member (CRC no longer matches).
    offset = data.find(b"sco12.js") + 40
    data[offset : offset + 8] = b"\x00" * 8
    with pytest.raises(PackageError) as refused:
        unpack(io.BytesIO(bytes(data)), tmp_path / "v1", limits=LIMITS)
    assert (
        "corrupt" in refused.value.problems[0] or "not a readable ZIP" in refused.value.problems[0]
    )
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_zip_is_refused():
    data = packages.scorm12_package()
    assert _refused(data[: len(data) // 2])[0].startswith("The file is not a readable ZIP archive")


@pytest.mark.parametrize(
    "name", ["../evil.html", "/abs.html", "a/../../evil.html", "C:/evil.html", "a\\evil.html"]
)
def test_a_member_outside_the_package_is_refused(name):
    problems = _refused(_with({name: "x"}, base=SCORM12_FILES))
    assert problems == [f"The file {name!r} has an absolute or escaping path."]


def test_a_symbolic_link_is_refused():
    link = zipfile.ZipInfo("link.html")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    problems = _refused(_with({"link.html": link}, base=SCORM12_FILES))
    assert problems == ["'link.html' is a symbolic link; links are not accepted."]


def test_too_many_files_are_refused():
    many = {f"f{i}.txt": "x" for i in range(60)}
    assert _refused(_with(many, base=SCORM12_FILES))[0].startswith(
        "The package has 63 files; at most 50"
    )


def test_a_package_larger_than_the_limit_is_refused_before_it_is_read():
    """The 2 GB package of the issue: refused by its size alone."""

    class Huge(io.BytesIO):
        size = 2 * 1024**3

    problems = _refused(Huge(b"not read"))
    assert (
        problems[0] == "The package is 2048 MB; at most 5 MB is accepted (QUALIFY_CONTENT_MAX_MB)."
    )


def test_a_zip_bomb_is_refused_by_its_ratio():
    bomb = _with({"bomb.txt": b"\0" * (4 * 1024 * 1024)}, base=SCORM12_FILES)
    problems = _refused(bomb)
    assert problems[0].startswith("'bomb.txt' inflates")
    assert problems[0].endswith("times; this looks like a zip bomb.")


def test_a_package_unpacking_beyond_the_limit_is_refused():
    small = Limits(max_bytes=LIMITS.max_bytes, max_unpacked=1024, max_files=50, max_ratio=10_000)
    problems = _refused(_with({"big.bin": b"\1" * 4096}, base=SCORM12_FILES), small)
    assert problems[-1].startswith("The package unpacks to")


def test_a_member_lying_about_its_size_is_refused():
    """A member declaring 10 bytes that inflates to 5,000: zipfile reads no more than
    declared, and the CRC of the cut-short bytes fails."""
    data = bytearray(_with({"big.txt": b"a" * 5000}, base=SCORM12_FILES))
    for start in _all(data, b"big.txt"):
        for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            header = start - (30 if sig == b"PK\x03\x04" else 46)
            if data[header : header + 4] == sig:
                data[header + at : header + at + 4] = (10).to_bytes(4, "little")
    small = Limits(max_bytes=LIMITS.max_bytes, max_unpacked=4000, max_files=50, max_ratio=10_000)
    assert _refused(bytes(data), small) == [
        "The ZIP archive is corrupt (Bad CRC-32 for file 'big.txt')."
    ]


def _all(data: bytearray, needle: bytes):
    start = data.find(needle)
    while start != -1:
        yield start
        start = data.find(needle, start + 1)


def test_a_name_twice_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in SCORM12_FILES.items():
            archive.writestr(name, content)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("sco.html", "again")
    assert _refused(buffer.getvalue()) == ["'sco.html' appears twice in the package."]


def test_an_encrypted_member_is_refused():
    data = bytearray(_with({"secret.txt": b"x"}, base=SCORM12_FILES))
    for start in _all(data, b"secret.txt"):
        for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            header = start - (30 if sig == b"PK\x03\x04" else 46)
            if data[header : header + 4] == sig:
                data[header + flag_at] |= 0x1
    assert _refused(bytes(data)) == ["'secret.txt' is encrypted."]
