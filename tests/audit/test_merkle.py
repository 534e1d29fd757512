"""RFC 6962 / RFC 9162 Merkle tree and proofs (A3).

Vectors: ``tests/vectors/rfc6962-merkle-transparency-dev``, the ``testdata/inclusion`` and
``testdata/consistency`` trees of transparency-dev/merkle (commit 417fb0c3), Apache-2.0; see
the LICENSE and README beside them. A missing or incomplete set fails at collection.
"""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from qualify.audit.merkle import (
    ProofTree,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from tests.vector_files import vector_files, vector_path

pytestmark = [pytest.mark.requirement("A3"), pytest.mark.engine_free]

VECTORS = vector_path("rfc6962-merkle-transparency-dev", "testdata")
INCLUSION_FILES = vector_files(
    "rfc6962-merkle-transparency-dev/testdata/inclusion", "**/*.json", expected=98
)
CONSISTENCY_FILES = vector_files(
    "rfc6962-merkle-transparency-dev/testdata/consistency", "**/*.json", expected=98
)

# The eight reference leaves the vectors' trees are built from (RFC 6962 test data).
REFERENCE_ENTRIES = [
    bytes.fromhex(text)
    for text in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
REFERENCE_LEAVES = [leaf_hash(entry) for entry in REFERENCE_ENTRIES]
EMPTY_ROOT = hashlib.sha256(b"").digest()


def _vector_id(path: Path) -> str:
    return path.relative_to(VECTORS).as_posix()


def _load(path: Path) -> dict[str, Any]:
    raw = json.loads(path.read_text())
    # Go encodes []byte as standard base64 and a nil proof as null.
    decoded = {
        key: base64.b64decode(value)
        for key, value in raw.items()
        if key in {"root", "leafHash", "root1", "root2"}
    }
    decoded["proof"] = [base64.b64decode(node) for node in raw["proof"] or []]
    return {**raw, **decoded}


def _leaves(count: int) -> list[bytes]:
    return [leaf_hash(index.to_bytes(4, "big")) for index in range(count)]


def _flip_bit(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def test_vector_set_is_complete():
    assert len(INCLUSION_FILES) == 98
    assert len(CONSISTENCY_FILES) == 98


@pytest.mark.parametrize("path", INCLUSION_FILES, ids=_vector_id)
def test_inclusion_vector_is_accepted_exactly_when_expected(path: Path):
    vector = _load(path)
    accepted = verify_inclusion(
        vector["leafIdx"], vector["treeSize"], vector["leafHash"], vector["proof"], vector["root"]
    )
    assert accepted is not vector["wantErr"]


@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=_vector_id)
def test_consistency_vector_is_accepted_exactly_when_expected(path: Path):
    vector = _load(path)
    accepted = verify_consistency(
        vector["size1"], vector["size2"], vector["root1"], vector["root2"], vector["proof"]
    )
    assert accepted is not vector["wantErr"]


HAPPY_INCLUSION = [p for p in INCLUSION_FILES if p.parent.name.isdigit() and "happy" in p.name]
HAPPY_CONSISTENCY = [p for p in CONSISTENCY_FILES if p.parent.name.isdigit() and "happy" in p.name]


@pytest.mark.parametrize("path", HAPPY_INCLUSION, ids=_vector_id)
def test_generated_inclusion_proof_and_root_match_the_published_happy_path(path: Path):
    vector = _load(path)
    leaves = REFERENCE_LEAVES[: vector["treeSize"]]
    assert root_from_leaf_hashes(leaves) == vector["root"]
    assert inclusion_proof(vector["leafIdx"], leaves) == vector["proof"]


@pytest.mark.parametrize("path", HAPPY_CONSISTENCY, ids=_vector_id)
def test_generated_consistency_proof_and_roots_match_the_published_happy_path(path: Path):
    vector = _load(path)
    assert root_from_leaf_hashes(REFERENCE_LEAVES[: vector["size1"]]) == vector["root1"]
    assert root_from_leaf_hashes(REFERENCE_LEAVES[: vector["size2"]]) == vector["root2"]
    leaves = REFERENCE_LEAVES[: vector["size2"]]
    assert consistency_proof(vector["size1"], leaves) == vector["proof"]


def test_leaf_and_node_hashes_use_rfc6962_domain_separation():
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = leaf_hash(b"l"), leaf_hash(b"r")
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    # The published root of the one-leaf reference tree is the leaf hash of the empty entry.
    assert leaf_hash(b"") == base64.b64decode("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=")


def test_empty_tree_root_is_sha256_of_the_empty_string():
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert TreeBuilder().root() == EMPTY_ROOT
    assert TreeBuilder().size == 0


def test_no_inclusion_proof_exists_for_the_empty_tree():
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(0, [])
    assert not verify_inclusion(0, 0, REFERENCE_LEAVES[0], [], EMPTY_ROOT)


@pytest.mark.parametrize("new_size", [0, 1, 8])
def test_consistency_from_the_empty_tree_is_always_rejected(new_size: int):
    leaves = REFERENCE_LEAVES[:new_size]
    with pytest.raises(ValueError, match="size-0 rule"):
        consistency_proof(0, leaves)
    new_root = root_from_leaf_hashes(leaves)
    assert not verify_consistency(0, new_size, EMPTY_ROOT, new_root, [])
    assert not verify_consistency(0, new_size, EMPTY_ROOT, new_root, [EMPTY_ROOT])


def test_equal_sizes_are_consistent_only_with_an_empty_proof_and_equal_roots():
    leaves = REFERENCE_LEAVES[:5]
    root = root_from_leaf_hashes(leaves)
    assert consistency_proof(5, leaves) == []
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(5, 5, root, _flip_bit(root), [])
    assert not verify_consistency(5, 5, root, root, [root])


@pytest.mark.parametrize("size", range(1, 41))
def test_generated_inclusion_proofs_verify_for_every_index(size: int):
    leaves = _leaves(size)
    root = root_from_leaf_hashes(leaves)
    for index in range(size):
        proof = inclusion_proof(index, leaves)
        assert verify_inclusion(index, size, leaves[index], proof, root)
        assert not verify_inclusion(index, size, _flip_bit(leaves[index]), proof, root)
        assert not verify_inclusion(index, size, leaves[index], proof, _flip_bit(root))
        if proof:
            assert not verify_inclusion(index, size, leaves[index], proof[:-1], root)
            assert not verify_inclusion(index, size, leaves[index], [*proof, root], root)
            tampered = [*proof[:-1], _flip_bit(proof[-1])]
            assert not verify_inclusion(index, size, leaves[index], tampered, root)


@pytest.mark.parametrize("new_size", range(1, 41))
def test_generated_consistency_proofs_verify_for_every_old_size(new_size: int):
    leaves = _leaves(new_size)
    new_root = root_from_leaf_hashes(leaves)
    for old_size in range(1, new_size + 1):
        old_root = root_from_leaf_hashes(leaves[:old_size])
        proof = consistency_proof(old_size, leaves)
        assert verify_consistency(old_size, new_size, old_root, new_root, proof)
        if old_size == new_size:
            continue
        forked = root_from_leaf_hashes([*leaves[: old_size - 1], _flip_bit(leaves[old_size - 1])])
        assert not verify_consistency(old_size, new_size, forked, new_root, proof)
        assert not verify_consistency(old_size, new_size, old_root, _flip_bit(new_root), proof)
        assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
        assert not verify_consistency(old_size, new_size, old_root, new_root, [*proof, new_root])


def test_proof_tree_gives_the_rfc_inclusion_proof_and_root_at_every_size_and_index():
    """The many-proof tree (reports cite thousands of events) answers exactly what the
    RFC's recursive definition answers, for every size up to 130 and every leaf."""
    leaves = _leaves(130)
    for size in range(1, 131):
        tree = ProofTree(leaves[:size])
        assert tree.root() == root_from_leaf_hashes(leaves[:size])
        for index in range(size):
            assert tree.proof(index) == inclusion_proof(index, leaves[:size]), (size, index)
    assert ProofTree([]).root() == hashlib.sha256(b"").digest()
    with pytest.raises(ValueError):
        ProofTree(leaves[:5]).proof(5)


def test_tree_builder_agrees_with_root_from_leaf_hashes_at_every_size():
    leaves = _leaves(300)
    builder = TreeBuilder()
    for count, leaf in enumerate(leaves, start=1):
        builder.append(leaf)
        assert builder.size == count
        assert builder.root() == root_from_leaf_hashes(leaves[:count])


def test_tree_builder_matches_the_published_reference_roots():
    builder = TreeBuilder()
    for leaf in REFERENCE_LEAVES:
        builder.append(leaf)
    expected = base64.b64decode("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
    assert builder.root() == expected


def test_tree_builder_rejects_a_leaf_that_is_not_a_sha256_hash():
    with pytest.raises(ValueError, match="32 bytes"):
        TreeBuilder().append(b"short")


@pytest.mark.parametrize(
    ("index", "size", "leaf", "proof", "root"),
    [
        (0, 2, "leaf", "proof", "root"),
        (0, 2, None, None, None),
        (-1, 2, b"\0" * 32, [b"\0" * 32], b"\0" * 32),
        (2, 2, b"\0" * 32, [b"\0" * 32], b"\0" * 32),
        (0, 2, b"\0" * 32, [b"\0" * 31], b"\0" * 32),
        (0, 2, b"\0" * 32, [None], b"\0" * 32),
        (0, 2, b"\0" * 32, b"\0" * 32, b"\0" * 32),
        (True, 2, b"\0" * 32, [b"\0" * 32], b"\0" * 32),
        (0.0, 2.0, b"\0" * 32, [b"\0" * 32], b"\0" * 32),
    ],
)
def test_verify_inclusion_returns_false_on_malformed_input(index, size, leaf, proof, root):
    assert verify_inclusion(index, size, leaf, proof, root) is False


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root", "proof"),
    [
        (1, 2, None, None, None),
        (1, 2, b"\0" * 32, b"\0" * 32, "garbage"),
        (1, 2, b"\0" * 32, b"\0" * 32, [b"\0" * 33]),
        (1, 2, b"\0" * 32, b"\0" * 32, [None]),
        (-1, 2, b"\0" * 32, b"\0" * 32, [b"\0" * 32]),
        (3, 2, b"\0" * 32, b"\0" * 32, [b"\0" * 32]),
        (1, 1, None, None, []),
        (1, 1, b"\0" * 32, b"\0" * 32, None),
        ("1", "2", b"\0" * 32, b"\0" * 32, [b"\0" * 32]),
    ],
)
def test_verify_consistency_returns_false_on_malformed_input(
    old_size, new_size, old_root, new_root, proof
):
    assert verify_consistency(old_size, new_size, old_root, new_root, proof) is False


def test_proof_generators_reject_out_of_range_arguments():
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(3, REFERENCE_LEAVES[:3])
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(-1, REFERENCE_LEAVES[:3])
    with pytest.raises(ValueError, match="size-0 rule"):
        consistency_proof(4, REFERENCE_LEAVES[:3])
