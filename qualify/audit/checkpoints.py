"""Signed checkpoints of the audit trail and the proofs that go with them (A3).

A checkpoint is a C2SP signed note stating the tree size and root over events 1..N,
signed with the site's Ed25519 key (``keys``). Exported, it lets anyone holding the
verifier key check offline that the trail still contains those N events unchanged
(``notes.open_note``, then a consistency proof to a later checkpoint) and that a given
event is among them (an inclusion proof).
"""

import logging

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from qualify.audit import checkpoint_log, keys, merkle, notes
from qualify.audit.models import Checkpoint, Cosignature
from qualify.audit.services import record
from qualify.audit.trail import lock_chain
from qualify.audit.verify import Problem, scan_events

log = logging.getLogger(__name__)


class TrailBroken(Exception):
    """The trail does not verify, so the site will not sign a checkpoint of it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems[:3]))


def checkpoint_create(*, actor=None, using: str = "default") -> Checkpoint:
    """Sign and store a checkpoint over every event so far, and audit the signing.

    The chain and the event MACs are verified before signing: a signature must never
    bless a broken or forged trail. The bulk of the events is read before the chain is
    locked; only the events that arrive meanwhile are read under the lock, so appends
    are held up briefly. The signed note is then appended (fsync'd) to the checkpoint
    log on disk and sent to the configured witnesses, whose cosignatures are stored
    and logged too (A6); a witness that cannot be reached is logged, not fatal.
    """
    state = scan_events(using=using, mac_keys=keys.mac_keys())
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            lock_chain(cursor, connections[using].vendor)
        state = scan_events(state=state, using=using)
        if state.problems:
            raise TrailBroken(state.problems)
        root = state.root
        note = keys.sign(notes.format_checkpoint(keys.key_name(), state.size, root))
        checkpoint = Checkpoint.objects.using(using).create(
            tree_size=state.size, root_hash=root.hex(), signed_at=timezone.now(), note=note
        )
        record(
            "audit.checkpoint.signed",
            checkpoint,
            actor=actor,
            detail={"tree_size": state.size, "root_hash": root.hex()},
        )
    checkpoint_log.append(note)
    if getattr(settings, "QUALIFY_AUDIT_WITNESSES", None):
        witness_all(checkpoint, using=using)
    return checkpoint


def witness_all(checkpoint: Checkpoint, *, using: str = "default") -> list[Cosignature]:
    """Ask every configured witness to cosign ``checkpoint`` (C2SP tlog-witness
    `add-checkpoint`, with a consistency proof from the size it last cosigned)."""
    from qualify.audit import witness

    got: list[Cosignature] = []
    for url, witness_vkey in witness.configured():
        try:
            line = witness.submit(url, witness_vkey, checkpoint, using=using)
        except witness.WitnessError as exc:
            log.warning("witness %s did not cosign checkpoint %s: %s", url, checkpoint, exc)
            continue
        got.append(
            Cosignature.objects.using(using).create(
                checkpoint=checkpoint,
                witness=witness_vkey.split("+", 1)[0],
                line=line,
                received_at=timezone.now(),
            )
        )
    if got:
        checkpoint_log.append(checkpoint.note + "".join(c.line + "\n" for c in got))
    return got


def latest_checkpoint(*, using: str = "default") -> Checkpoint | None:
    return Checkpoint.objects.using(using).order_by("-tree_size").first()


def current_tree_size(*, using: str = "default") -> int:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_event")
        return int(cursor.fetchone()[0])


def leaf_hashes(size: int | None = None, *, using: str = "default") -> list[bytes]:
    """Leaf hashes of events 1..size (default: all), read from their entries."""
    current = current_tree_size(using=using)
    size = current if size is None else size
    if not 0 <= size <= current:
        raise ValueError(f"the trail has {current} events, not {size}")
    leaves = []
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT seq, entry FROM audit_event WHERE seq <= %s ORDER BY seq", [size])
        while rows := cursor.fetchmany(10_000):
            for seq, entry in rows:
                if seq != len(leaves) + 1:
                    raise ValueError(f"event #{len(leaves) + 1} is missing; run audit verify")
                leaves.append(merkle.leaf_hash(entry.encode("utf-8")))
    if len(leaves) != size:
        raise ValueError(f"event #{len(leaves) + 1} is missing; run audit verify")
    return leaves


def root_at(tree_size: int | None = None, *, leaves: list[bytes] | None = None) -> str:
    """Hex root of the tree of events 1..tree_size (default: all)."""
    leaves = leaf_hashes(tree_size) if leaves is None else leaves
    return merkle.root_from_leaf_hashes(leaves).hex()


def inclusion_proof_for(
    seq: int, tree_size: int | None = None, *, leaves: list[bytes] | None = None
) -> list[str]:
    """Audit path (hex) proving event ``seq`` is leaf seq-1 of the tree of ``tree_size``
    events (default: all); ``leaves`` saves re-reading them when the caller has them."""
    leaves = leaf_hashes(tree_size) if leaves is None else leaves
    if not 1 <= seq <= len(leaves):
        raise ValueError(f"event #{seq} is not in a tree of size {len(leaves)}")
    return [node.hex() for node in merkle.inclusion_proof(seq - 1, leaves)]


def consistency_proof_between(
    old_size: int, new_size: int | None = None, *, leaves: list[bytes] | None = None
) -> list[str]:
    """Proof (hex) that the tree of ``old_size`` events is a prefix of that of ``new_size``."""
    leaves = leaf_hashes(new_size) if leaves is None else leaves
    return [node.hex() for node in merkle.consistency_proof(old_size, leaves)]
