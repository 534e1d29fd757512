"""Opening an uploaded package ZIP safely and unpacking it under the media root.

Refused, each with its reason (issue 15, bad input): a file that is not a ZIP or is
corrupt (CRC errors are found when the members are read), encrypted members, a member
whose name is absolute, has a drive letter or backslash, or climbs out with ``..``,
symbolic links (Unix mode in the external attributes), more members than
``QUALIFY_CONTENT_MAX_FILES``, a package larger than ``QUALIFY_CONTENT_MAX_MB``
compressed or ``QUALIFY_CONTENT_MAX_UNPACKED_MB`` unpacked (the declared sizes are
checked before anything is read; zipfile inflates no more than a member declares and
its CRC then fails, and the bytes inflated are counted against the limit as well), and a
member whose
compression ratio exceeds ``QUALIFY_CONTENT_MAX_RATIO`` (a zip bomb).

The standard library's zipfile reads ZIP64 (cmi5 14.0.0.0-1). Nothing is written
before every check has passed; unpacking writes into a fresh folder and renames it
into place, so a failure leaves no half-unpacked package.
"""

from __future__ import annotations

import shutil
import stat
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from qualify.content.manifest import Manifest, PackageError, inside_package, parse_package

CHUNK = 1024 * 1024
# What reading a damaged member raises (bad CRC, broken deflate stream, cut short).
CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, OSError, zipfile.LargeZipFile)


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_unpacked: int
    max_files: int
    max_ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        mb = 1024 * 1024
        return cls(
            max_bytes=settings.QUALIFY_CONTENT_MAX_MB * mb,
            max_unpacked=settings.QUALIFY_CONTENT_MAX_UNPACKED_MB * mb,
            max_files=settings.QUALIFY_CONTENT_MAX_FILES,
            max_ratio=settings.QUALIFY_CONTENT_MAX_RATIO,
        )


def _size_of(upload: Any) -> int | None:
    size = getattr(upload, "size", None)
    if isinstance(size, int):
        return size
    try:
        position = upload.tell()
        upload.seek(0, 2)
        end = upload.tell()
        upload.seek(position)
        return end
    except (AttributeError, OSError):
        return None


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _members(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    problems: list[str] = []
    members: dict[str, zipfile.ZipInfo] = {}
    infos = archive.infolist()
    if len(infos) > limits.max_files:
        raise PackageError(
            [f"The package has {len(infos)} files; at most {limits.max_files} are accepted."]
        )
    declared = 0
    for info in infos:
        name = info.filename
        if info.is_dir():
            if inside_package(name.rstrip("/")) is None:
                problems.append(f"The folder {name!r} lies outside the package.")
            continue
        path = inside_package(name)
        if path is None:
            problems.append(f"The file {name!r} has an absolute or escaping path.")
            continue
        if _is_symlink(info):
            problems.append(f"{name!r} is a symbolic link; links are not accepted.")
            continue
        if info.flag_bits & 0x1:
            problems.append(f"{name!r} is encrypted.")
            continue
        if path in members:
            problems.append(f"{name!r} appears twice in the package.")
            continue
        declared += info.file_size
        if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
            problems.append(
                f"{name!r} inflates {info.file_size // max(info.compress_size, 1)} times; "
                "this looks like a zip bomb."
            )
        members[path] = info
    if declared > limits.max_unpacked:
        problems.append(
            f"The package unpacks to {_mb(declared)}; "
            f"at most {_mb(limits.max_unpacked)} is accepted."
        )
    if problems:
        raise PackageError(problems)
    return members


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    chunks = []
    with archive.open(info) as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise PackageError(["The package unpacks to more than it declares; it is refused."])
            chunks.append(chunk)
    return b"".join(chunks)


def _open(upload: Any, limits: Limits) -> zipfile.ZipFile:
    size = _size_of(upload)
    if size is not None and size > limits.max_bytes:
        raise PackageError(
            [
                f"The package is {_mb(size)}; at most {_mb(limits.max_bytes)} is accepted "
                "(QUALIFY_CONTENT_MAX_MB)."
            ]
        )
    handle = upload.file if hasattr(upload, "file") and hasattr(upload.file, "read") else upload
    if hasattr(handle, "seek"):
        handle.seek(0)
    try:
        return zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise PackageError([f"The file is not a readable ZIP archive ({error})."]) from None


def _reader(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], budget: list[int]
) -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        info = members.get(name)
        if info is None:
            raise FileNotFoundError(name)
        return _read_member(archive, info, budget)

    return read


def inspect(upload: Any, *, limits: Limits | None = None) -> Manifest:
    """Check the upload completely (every member is read, so a corrupt member is
    found now, not at launch) and answer its manifest. Nothing is written."""
    limits = limits or Limits.from_settings()
    with _open(upload, limits) as archive:
        members = _members(archive, limits)
        budget = [limits.max_unpacked]
        try:
            manifest = parse_package(set(members), _reader(archive, members, budget))
            for info in members.values():
                _read_member(archive, info, budget)
        except CORRUPT as error:
            raise PackageError([f"The ZIP archive is corrupt ({error})."]) from None
        except NotImplementedError as error:
            raise PackageError(
                [f"The ZIP archive uses an unsupported compression ({error})."]
            ) from None
    return manifest


def unpack(source: IO[bytes] | Any, target: Path, *, limits: Limits | None = None) -> Manifest:
    """Check, then unpack into `target` (replaced if it exists). Answers the manifest."""
    limits = limits or Limits.from_settings()
    manifest = inspect(source, limits=limits)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    staging.mkdir(parents=True)
    try:
        with _open(source, limits) as archive:
            members = _members(archive, limits)
            budget = [limits.max_unpacked]
            for path, info in members.items():
                destination = staging.joinpath(*path.split("/"))
                if staging.resolve() not in destination.resolve().parents:
                    raise PackageError([f"{path!r} lies outside the package."])
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(_read_member(archive, info, budget))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest
