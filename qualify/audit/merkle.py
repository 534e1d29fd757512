"""RFC 6962 / RFC 9162 Merkle tree hashing and proofs over SHA-256 (A3).

Pure Python, no Django: the audit trail feeds event hashes in as leaf hashes, publishes the
root in signed checkpoints (see ``notes``) and later proves inclusion and consistency.

Size-0 rule (decided once, mirrors the transparency-dev/merkle test vectors):

* The empty tree has a root, SHA-256 of the empty string, and ``TreeBuilder`` returns it.
* No proof involves an empty tree. Nothing can be included in it, and every tree extends it
  trivially, so a consistency "proof" from size 0 would carry no information; a verifier
  that starts from nothing must say so explicitly (trust on first use) rather than accept
  an empty proof. Hence ``inclusion_proof`` and ``consistency_proof`` raise ``ValueError``
  for size 0 and ``verify_consistency`` returns False whenever ``old_size == 0``, including
  0 -> 0.
* ``old_size == new_size > 0`` is consistent iff the proof is empty and the two roots are
  byte-equal. As in the vectors, that branch compares roots only and does not insist on 32
  bytes: equal sizes and equal roots name the same tree, whatever the roots are.

Verifiers never raise on malformed input (wrong types, lengths or sizes): they return False.
"""

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32

_sha256 = hashlib.sha256
# Hashing a prefix once and copying the state saves a bytes concatenation per hash; that
# matters when a million events are re-verified.
_LEAF_PREFIX = _sha256(b"\x00")
_NODE_PREFIX = _sha256(b"\x01")
_EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """MTH of a one-entry list: SHA-256(0x00 || entry)."""
    digest = _LEAF_PREFIX.copy()
    digest.update(entry)
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    digest = _NODE_PREFIX.copy()
    digest.update(left)
    digest.update(right)
    return digest.digest()


def _split_point(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    # Written as the RFC's recursive definition so it can serve as the reference that the
    # streaming TreeBuilder is tested against.
    size = end - start
    if size == 1:
        return leaf_hashes[start]
    k = _split_point(size)
    return node_hash(
        _subtree_root(leaf_hashes, start, start + k), _subtree_root(leaf_hashes, start + k, end)
    )


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) for the given leaf hashes; the empty tree's root is SHA-256("")."""
    if not leaf_hashes:
        return _EMPTY_ROOT
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


class TreeBuilder:
    """Streaming tree head: O(log n) memory, amortised one node hash per append.

    Keeps the roots of the complete subtrees that cover the leaves so far (a "compact
    range"), largest first; their sizes are the set bits of ``size``.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
        stack = self._stack
        merged = leaf_hash
        size = self._size
        # Each trailing one bit of the old size is a complete subtree of equal height that
        # the new leaf completes into a subtree twice as large.
        while size & 1:
            digest = _NODE_PREFIX.copy()
            digest.update(stack.pop())
            digest.update(merged)
            merged = digest.digest()
            size >>= 1
        stack.append(merged)
        self._size += 1

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """``append`` each leaf hash in order; the batch form used by ``audit verify``.

        Same algorithm as ``append`` with the per-leaf overhead taken out (locals bound
        once, one ``sha256`` call per node), because it runs once per event of the trail.
        The lengths are checked before anything is appended, so a bad batch changes nothing.
        """
        if leaf_hashes and set(map(len, leaf_hashes)) != {HASH_SIZE}:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
        sha256 = _sha256
        stack = self._stack
        pop = stack.pop
        push = stack.append
        size = self._size
        for merged in leaf_hashes:
            carry = size
            while carry & 1:
                merged = sha256(b"\x01" + pop() + merged).digest()
                carry >>= 1
            push(merged)
            size += 1
        self._size = size

    def root(self) -> bytes:
        stack = self._stack
        if not stack:
            return _EMPTY_ROOT
        root = stack[-1]
        for left in reversed(stack[:-1]):
            root = node_hash(left, root)
        return root


def _inclusion_path(index: int, leaf_hashes: Sequence[bytes], start: int, end: int) -> list[bytes]:
    # PATH(m, D[n]) of RFC 9162 section 2.1.3.1, leaf-side sibling first.
    size = end - start
    if size == 1:
        return []
    k = _split_point(size)
    if index < k:
        path = _inclusion_path(index, leaf_hashes, start, start + k)
        path.append(_subtree_root(leaf_hashes, start + k, end))
    else:
        path = _inclusion_path(index - k, leaf_hashes, start + k, end)
        path.append(_subtree_root(leaf_hashes, start, start + k))
    return path


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of all ``leaf_hashes``."""
    if not 0 <= index < len(leaf_hashes):
        raise ValueError(f"leaf index {index} is outside a tree of size {len(leaf_hashes)}")
    return _inclusion_path(index, leaf_hashes, 0, len(leaf_hashes))


class ProofTree:
    """Audit paths for many leaves of one tree, each in O(log² n) after one O(n) pass.

    ``inclusion_proof`` recomputes the sibling subtrees from the leaves, O(n) per proof,
    which is right for one proof and quadratic for an export citing thousands of
    events. This keeps every complete, aligned subtree root (level k holds the roots of
    [i·2^k, (i+1)·2^k)), about n hashes besides the leaves; the RFC's recursion then only
    descends the ragged right edge. ``proof(i)`` equals ``inclusion_proof(i, leaves)``
    (tests/audit/test_merkle.py checks it against the RFC definition).
    """

    __slots__ = ("_levels", "_size")

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self._size = len(leaf_hashes)
        levels: list[Sequence[bytes]] = [leaf_hashes]
        below = leaf_hashes
        while len(below) >= 2:
            above = [
                _sha256(b"\x01" + below[i] + below[i + 1]).digest()
                for i in range(0, len(below) - 1, 2)
            ]
            levels.append(above)
            below = above
        self._levels = levels

    @property
    def size(self) -> int:
        return self._size

    def _root(self, start: int, end: int) -> bytes:
        size = end - start
        if size & (size - 1) == 0 and start % size == 0:
            return self._levels[size.bit_length() - 1][start // size]
        k = _split_point(size)
        return node_hash(self._root(start, start + k), self._root(start + k, end))

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        size = end - start
        if size == 1:
            return []
        k = _split_point(size)
        if index < k:
            path = self._path(index, start, start + k)
            path.append(self._root(start + k, end))
        else:
            path = self._path(index - k, start + k, end)
            path.append(self._root(start, start + k))
        return path

    def root(self) -> bytes:
        return self._root(0, self._size) if self._size else _EMPTY_ROOT

    def proof(self, index: int) -> list[bytes]:
        """Audit path for leaf ``index``, leaf-side sibling first (as inclusion_proof)."""
        if not 0 <= index < self._size:
            raise ValueError(f"leaf index {index} is outside a tree of size {self._size}")
        return self._path(index, 0, self._size)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_proof(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_is_hash(node) for node in proof)


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: does ``proof`` place ``leaf_hash`` at ``index`` under ``root``?"""
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_proof(proof)):
        return False
    fn, sn = index, size - 1
    computed = leaf_hash
    for sibling in proof:
        if sn == 0:
            return False  # proof longer than the path
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            if not fn & 1:
                # A right-edge node with no sibling at this level is promoted unchanged.
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            computed = node_hash(computed, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and computed == root


def _consistency_subproof(
    old_size: int, leaf_hashes: Sequence[bytes], start: int, end: int, whole: bool
) -> list[bytes]:
    # SUBPROOF(m, D[n], b) of RFC 9162 section 2.1.4.1; ``whole`` is b: the old tree is
    # this entire subtree, so the verifier already knows its root.
    size = end - start
    if old_size == size:
        return [] if whole else [_subtree_root(leaf_hashes, start, end)]
    k = _split_point(size)
    if old_size <= k:
        proof = _consistency_subproof(old_size, leaf_hashes, start, start + k, whole)
        proof.append(_subtree_root(leaf_hashes, start + k, end))
    else:
        proof = _consistency_subproof(old_size - k, leaf_hashes, start + k, end, False)
        proof.append(_subtree_root(leaf_hashes, start, start + k))
    return proof


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Proof that the first ``old_size`` leaves form a prefix of the tree of ``leaf_hashes``."""
    new_size = len(leaf_hashes)
    if not 0 < old_size <= new_size:
        raise ValueError(
            f"no consistency proof from size {old_size} to size {new_size} (see size-0 rule)"
        )
    return _consistency_subproof(old_size, leaf_hashes, 0, new_size, True)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree ``old_root`` a prefix of the tree ``new_root``?"""
    if not (_is_size(old_size) and _is_size(new_size)) or not 0 < old_size <= new_size:
        return False
    if not isinstance(proof, list | tuple):
        return False
    if old_size == new_size:
        return not proof and isinstance(old_root, bytes) and old_root == new_root
    if not (proof and _is_proof(proof) and _is_hash(old_root) and _is_hash(new_root)):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree, so its root is the proof's implicit start.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_computed = new_computed = path[0]
    for node in path[1:]:
        if sn == 0:
            return False  # proof longer than needed
        if fn & 1 or fn == sn:
            old_computed = node_hash(node, old_computed)
            new_computed = node_hash(node, new_computed)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            new_computed = node_hash(new_computed, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_computed == old_root and new_computed == new_root
