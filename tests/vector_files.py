"""Public test vectors copied into ``tests/vectors/`` (origins and licences in its README).

A vector set that is missing or incomplete must fail the run loudly, not quietly shrink a
parametrisation to nothing: ``vector_files`` raises at collection when the count is wrong.
"""

from pathlib import Path

VECTORS = Path(__file__).resolve().parent / "vectors"


def vector_path(*parts: str) -> Path:
    path = VECTORS.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"test vector {path} is missing; see tests/vectors/README.md")
    return path


def vector_files(folder: str, pattern: str, *, expected: int) -> list[Path]:
    """The files under tests/vectors/<folder> matching the glob ``pattern``, exactly
    ``expected`` of them."""
    files = sorted(vector_path(folder).glob(pattern))
    if len(files) != expected:
        raise AssertionError(
            f"expected {expected} test vectors {folder}/{pattern} but found {len(files)}; "
            "the vector set is missing or changed (see tests/vectors/README.md)"
        )
    return files
