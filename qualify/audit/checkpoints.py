"""Signed checkpoints of the audit trail and the proofs that go with them (A3).

A checkpoint is a C2SP signed note stating the tree size and root over events 1..N,
signed with the site's Ed25519 key (``keys``). Exported, it lets anyone holding the
verifier key check offline that the trail still contains those N events unchanged
(``notes.open_note``, then a consistency proof to a later checkpoint) and that a given
event is among them (an inclusion proof).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from qualify.audit import checkpoint_log, keys, merkle, notes
from qualify.audit.models import Checkpoint, Cosignature
from qualify.audit.services import record
from qualify.audit.trail import lock_chain
from qualify.audit.verify import Problem, ScanState, scan_events

log = logging.getLogger(__name__)


class TrailBroken(Exception):
    """The trail does not verify, so the site will not sign a checkpoint of it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems[:3]))


@dataclass
class ScanMemory:
    """What a long-running signer (the worker) has already verified: the scan state at
    its last checkpoint, O(log n) in size. The next checkpoint then reads only the
    events after it instead of the whole trail every interval. Old events are not
    re-read, but nothing is lost: the new root is built on what was verified (so a
    rewrite underneath shows as a root differing from the database's, which `audit
    verify` names), and a rewrite re-chained through the database breaks the chain at
    the first new event, so nothing is signed."""

    state: ScanState | None = None


def checkpoint_create(
    *, actor=None, using: str = "default", memory: ScanMemory | None = None
) -> Checkpoint:
    """Sign and store a checkpoint over every event so far, and audit the signing.

    The chain and the event MACs are verified before signing: a signature must never
    bless a broken or forged trail. The bulk of the events is read before the chain is
    locked; only the events that arrive meanwhile are read under the lock, so appends
    are held up briefly. The signed note is then appended (fsync'd) to the checkpoint
    log on disk and sent to the configured witnesses, whose cosignatures are stored
    and logged too (A6); a witness that cannot be reached is logged, not fatal.
    """
    logged = newest_logged_checkpoint()
    capture = [logged.size] if logged else []
    known = memory.state if memory is not None else None
    if memory is not None:
        memory.state = None  # kept again only when this checkpoint is signed
    if known is not None and not known.problems:
        known.mac_keys = keys.mac_keys()  # a rotated key's new events
        state = scan_events(capture, state=known, using=using)
    else:
        state = scan_events(capture, using=using, mac_keys=keys.mac_keys())
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            lock_chain(cursor, connections[using].vendor)
        state = scan_events(capture, state=state, using=using)
        problems = list(state.problems)
        if logged and logged.size > state.size:
            problems.append(
                Problem(
                    "checkpoint",
                    f"the checkpoint log holds a checkpoint of {logged.size} events but the"
                    f" trail has {state.size}: events removed",
                    seq=state.size + 1,
                )
            )
        elif logged and state.roots.get(logged.size) != logged.root_hash:
            problems.append(
                Problem(
                    "checkpoint",
                    f"the first {logged.size} events differ from the checkpoint of them in"
                    " the checkpoint log (an event was changed)",
                )
            )
        if problems:
            raise TrailBroken(problems)
        root = state.root
        note = keys.sign(notes.format_checkpoint(keys.key_name(), state.size, root))
        state.roots = {state.size: root}  # what the next one is checked against
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
    if memory is not None:
        memory.state = state
    if getattr(settings, "QUALIFY_AUDIT_WITNESSES", None):
        witness_all(checkpoint, using=using)
    return checkpoint


def newest_logged_checkpoint() -> notes.Checkpoint | None:
    """The largest of this site's checkpoints in the checkpoint log on disk: a new
    checkpoint must extend it, so a trail truncated or rewritten through the database
    is never signed (A6). The log is the host's own file, so its signatures are checked
    by `audit verify`, not here. An unreadable log refuses the signing."""
    try:
        found = checkpoint_log.read_notes()
    except checkpoint_log.LogError as exc:
        raise TrailBroken([Problem("checkpoint", f"checkpoint log: {exc}")]) from exc
    newest = None
    origin = keys.key_name()
    for note in found:
        body = note[: note.rfind("\n\n") + 1]
        if keys.parse_key_statement(body) is not None:
            continue
        try:
            checkpoint = notes.parse_checkpoint(body)
        except notes.NoteError:
            continue
        if checkpoint.origin == origin and (newest is None or checkpoint.size > newest.size):
            newest = checkpoint
    return newest


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


def checkpoint_if_due(
    *, interval: float, using: str = "default", memory: ScanMemory | None = None
) -> tuple[Checkpoint | None, float]:
    """Sign a checkpoint when events arrived since the latest one and the latest is at
    least ``interval`` seconds old; return (the new checkpoint or None, seconds until
    it is worth looking again).

    The worker calls this in a loop (``sign_periodically``); several workers on several
    machines share the work, since each one waits until the newest checkpoint, whoever
    signed it, is an interval old. Raises ``TrailBroken`` (nothing signed) when the new
    events do not verify, and ``keys.SigningKeyMissing`` without the key file.
    """
    latest = latest_checkpoint(using=using)
    if latest is not None:
        age = (timezone.now() - latest.signed_at).total_seconds()
        if age < interval:
            return None, interval - age
    # The latest checkpoint's own signing event is the one after its size.
    if current_tree_size(using=using) <= (latest.tree_size + 1 if latest else 0):
        return None, interval
    return checkpoint_create(actor=None, using=using, memory=memory), interval


def sign_if_due(
    interval: float, *, using: str = "default", memory: ScanMemory | None = None
) -> tuple[Checkpoint | None, float]:
    """One look of the periodic signer (``checkpoint_if_due``) that never raises: a
    trail whose new events do not verify is not signed, and that is logged as an error
    (at every look, until someone runs `qualify audit verify` and acts on it)."""
    from qualify.audit.context import audit_context

    created, wait = None, interval
    try:
        with audit_context(source="task"):
            created, wait = checkpoint_if_due(interval=interval, using=using, memory=memory)
    except TrailBroken as exc:
        log.error("audit trail does not verify, no checkpoint signed: %s", exc)
    except keys.SigningKeyMissing as exc:
        log.error("no checkpoint signed: %s", exc)
    except Exception:
        log.exception("no checkpoint signed")
    finally:
        # A thread's connection must not outlive the look (nor hold a snapshot); inside
        # a caller's transaction (tests) it is the caller's to close.
        if not connections[using].in_atomic_block:
            connections[using].close()
    return created, wait


def sign_periodically(
    interval: float,
    stop: threading.Event,
    *,
    on_signed: Callable[[Checkpoint], None] | None = None,
    using: str = "default",
) -> None:
    """Until ``stop`` is set: a checkpoint every ``interval`` seconds when events arrived
    (A6: truncation is caught back to the newest checkpoint in the log on disk, so this
    bounds what a database-write attacker can remove unnoticed). Run by `qualify worker`
    in a thread of its own, and by `qualify audit checkpoint --every`. Each look reads
    only the events since its own last checkpoint (``ScanMemory``)."""
    memory = ScanMemory()
    while not stop.is_set():
        created, wait = sign_if_due(interval, using=using, memory=memory)
        if created is not None and on_signed is not None:
            on_signed(created)
        stop.wait(max(wait, 1.0))


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
