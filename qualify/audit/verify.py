"""`qualify audit verify`: is the trail intact, and do the records still match it? (A3, A4, A6)

The checks, each naming the first place it finds wrong:

1. Events (streaming, ordered by seq): sequence numbers run 1..N without a gap, each
   chain hash is SHA-256(previous chain hash || leaf hash), and the leaves build the
   RFC 6962 tree whose root is captured at every checkpoint size. This pass reads every
   event, so it is written for speed (see ``scan_events``).
2. Indexed columns: one set-based query per database finds the first event whose
   columns (seq, time, actor, action, object, request id, record hash) disagree with
   its entry, which is the only hashed content.
3. Checkpoints, stored and given: signed by the site key, not larger than the trail
   (else events were removed), and the root at their size equal to the signed root.
4. Live records: every row of every audited model has the state its latest event
   recorded; rows never audited, changed, or gone are named "type:id". For users the
   state includes roles, client access, password hash and TOTP devices (format 2),
   and every role's group must grant what the role grants (``security``).
5. Event MACs (format 2, A6): each MAC, keyed outside the database, matches the
   event's chain hash; no event without one follows one with one.
6. The checkpoint log on disk and its pinned key: every checkpoint in it still
   describes a prefix of the trail (so a truncation back to it is caught), signed by
   the pinned key or a key it rotated to.
7. Times: no event is earlier than an event before it by more than the allowance
   (settings.QUALIFY_AUDIT_TIME_ALLOWANCE_SECONDS, for appenders that took the time
   before waiting for the chain lock); the append-only triggers are all present.

Concurrent writers are tolerated: checkpoints are read before the events, and a live
record that changes while it is being checked (an event newer than the verified trail)
is not reported.
"""

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction

from qualify.audit import checkpoint_log, keys, notes, security
from qualify.audit.immutability import guarded_tables, missing_triggers
from qualify.audit.merkle import TreeBuilder
from qualify.audit.models import Checkpoint
from qualify.audit.registry import audited_models, security_prefetch
from qualify.audit.services import record_hash_of
from qualify.audit.trail import GENESIS

BATCH_SIZE = 10_000
MAX_CHAIN_PROBLEMS = 20
MAX_RECORD_PROBLEMS = 50  # per audited model
MAX_MAC_PROBLEMS = 20
MAX_TIME_PROBLEMS = 20

INDEXED_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "request_id",
    "record_hash",
    "v",
)


@dataclass(frozen=True)
class Problem:
    kind: (
        str  # "sequence", "chain", "mac", "index", "checkpoint", "record", "time", "trigger", "key"
    )
    message: str
    seq: int | None = None
    record: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class VerificationReport:
    tree_size: int = 0
    root_hash: str = ""
    checkpoints_checked: int = 0
    records_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        state = "intact" if self.ok else f"NOT intact: {len(self.problems)} problem(s)"
        return (
            f"audit trail {state}; {self.tree_size} events, root {self.root_hash}, "
            f"{self.checkpoints_checked} checkpoint(s), {self.records_checked} live record(s)"
        )


# -- 1. the streaming pass -------------------------------------------------------------

# The entry is read as bytes so the loop neither decodes nor re-encodes UTF-8.
_SCAN_SQL = {
    "sqlite": (
        "SELECT seq, CAST(entry AS BLOB), chain_hash, mac FROM audit_event WHERE seq >= %s"
        " ORDER BY seq"
    ),
    "postgresql": (
        "SELECT seq, convert_to(entry, 'UTF8'), chain_hash, mac FROM audit_event"
        " WHERE seq >= %s ORDER BY seq"
    ),
}


@dataclass
class ScanState:
    """Where a scan stopped; pass it back to ``scan_events`` to continue from there."""

    tree: TreeBuilder = field(default_factory=TreeBuilder)
    chain: bytes = bytes.fromhex(GENESIS)
    next_seq: int = 1
    roots: dict[int, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    chain_breaks: int = 0
    # MAC keys by key ID; None when verifying with the public key only.
    mac_keys: dict[str, bytes] | None = None
    macs_seen: bool = False
    mac_problems: int = 0

    @property
    def size(self) -> int:
        return self.tree.size

    @property
    def root(self) -> bytes:
        return self.tree.root()


def _scan_cursor(connection: Any) -> Any:
    # A server-side cursor on PostgreSQL, so a million events are never held in memory.
    if connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        return connection.chunked_cursor()
    return connection.cursor()


def _check_sequence(state: ScanState, batch: list[tuple]) -> None:
    """The slow path, taken only for a batch whose first and last seq do not fit."""
    expected = state.next_seq
    for row in batch:
        seq = row[0]
        if not isinstance(seq, int) or isinstance(seq, bool):
            state.problems.append(
                Problem("sequence", f"event at position {expected}: seq {seq!r} is not an integer")
            )
            expected += 1
            continue
        if seq > expected:
            missing = f"#{expected}" if seq == expected + 1 else f"#{expected}..#{seq - 1}"
            state.problems.append(
                Problem("sequence", f"event {missing} missing (next is #{seq})", seq=expected)
            )
        expected = seq + 1
    state.next_seq = expected


def _chain_break(state: ScanState, seq: Any, stored: Any) -> bytes | None:
    state.chain_breaks += 1
    if state.chain_breaks <= MAX_CHAIN_PROBLEMS:
        state.problems.append(
            Problem(
                "chain",
                f"event #{seq}: chain hash does not match its entry and the previous event"
                " (the entry, or the event before it, was changed, removed or inserted)",
                seq=seq if type(seq) is int else None,
            )
        )
    elif state.chain_breaks == MAX_CHAIN_PROBLEMS + 1:
        state.problems.append(Problem("chain", "further chain breaks not listed"))
    # Continue from the stored hash so one changed event is reported once.
    try:
        resumed = bytes.fromhex(stored)
    except (TypeError, ValueError):
        return None
    return resumed if len(resumed) == 32 else None


def _recheck_chain(
    state: ScanState, batch: list[tuple], leaves: list[bytes], chain: bytes
) -> bytes:
    """The slow path for a batch whose chain hashes do not all match: find which do not,
    continuing from each stored hash so that one changed event is reported once."""
    sha256 = hashlib.sha256
    for (seq, _, stored, _), leaf in zip(batch, leaves, strict=True):
        chain = sha256(chain + leaf).digest()
        if chain.hex() != stored:
            chain = _chain_break(state, seq, stored) or chain
    return chain


def _mac_problem(state: ScanState, seq: Any, message: str) -> None:
    state.mac_problems += 1
    if state.mac_problems <= MAX_MAC_PROBLEMS:
        state.problems.append(
            Problem("mac", f"event #{seq}: {message}", seq=seq if type(seq) is int else None)
        )
    elif state.mac_problems == MAX_MAC_PROBLEMS + 1:
        state.problems.append(Problem("mac", "further MAC problems not listed"))


def hmac_sha256_states(key: bytes) -> tuple[Any, Any]:
    """The SHA-256 states after HMAC's inner and outer padded key (RFC 2104), to be
    copied per message: H(K^opad || H(K^ipad || m)) then costs two state copies instead
    of setting up an HMAC from the key each time (about a third of ``hmac.digest``'s
    time here). Keys longer than the block are hashed first, as RFC 2104 says."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
    return inner, outer


def _macs_intact(keys_by_id: dict[str, bytes], batch: list[tuple], chains: list[bytes]) -> bool:
    """The fast path: True when every event of the batch carries exactly the MAC, by the
    first event's key, of its computed chain hash. One comparison of two "\n"-joined
    texts (so no character can move between rows unnoticed); anything else (another key
    in the batch, a missing or wrong MAC) takes ``_check_macs``'s event-by-event path,
    which names the event."""
    first = batch[0][3]
    if not isinstance(first, str):
        return False
    kid, colon, _ = first.partition(":")
    key = keys_by_id.get(kid)
    if key is None or not colon:
        return False
    inner, outer = hmac_sha256_states(key)
    new_inner, new_outer = inner.copy, outer.copy
    macs = []
    add = macs.append
    for chain in chains:
        digest = new_inner()
        digest.update(chain)
        mac = new_outer()
        mac.update(digest.digest())
        add(mac.hexdigest())
    prefix = kid + ":"
    try:
        return "\n".join([row[3] for row in batch]) == prefix + ("\n" + prefix).join(macs)
    except TypeError:  # a MAC that is not text (NULL)
        return False


def _check_macs(state: ScanState, batch: list[tuple], chains: list[bytes] | None) -> None:
    """Each MAC against its event's chain hash (computed when the batch's chain was
    intact, else the stored one); no event without a MAC after one with a MAC."""
    keys_by_id = state.mac_keys
    if keys_by_id is not None and chains is not None and _macs_intact(keys_by_id, batch, chains):
        state.macs_seen = True
        return
    digest = hmac.digest
    seen = state.macs_seen
    for position, row in enumerate(batch):
        mac = row[3]
        if not mac:
            if seen:
                _mac_problem(
                    state,
                    row[0],
                    "has no MAC but follows events that have one (an event forged, or"
                    " written in the old format, through the database)",
                )
            continue
        seen = True
        if keys_by_id is None:
            continue
        kid, _, tag = mac.partition(":")
        key = keys_by_id.get(kid)
        if chains is not None:
            chain = chains[position]
        else:
            try:
                chain = bytes.fromhex(row[2])
            except (TypeError, ValueError):
                chain = b""
        if key is None:
            _mac_problem(state, row[0], f"MAC made with key {kid!r}, which is not this site's")
        elif digest(key, chain, "sha256").hex() != tag:
            _mac_problem(
                state,
                row[0],
                "MAC does not match (the event was written or re-chained without the site's key)",
            )
    state.macs_seen = seen


def scan_events(
    capture_sizes: Iterable[int] = (),
    *,
    state: ScanState | None = None,
    using: str = "default",
    batch_size: int = BATCH_SIZE,
    mac_keys: dict[str, bytes] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScanState:
    """Stream the events after ``state`` (from seq 1 when None), checking sequence and chain
    and building the tree; the root at each of ``capture_sizes`` lands in ``state.roots``.

    This is the hot loop of verification, so it works a batch at a time and keeps the
    per-event work to the three SHA-256 the format needs (leaf, chain, and amortised one
    tree node), each one call on bytes already at hand:

    * entries are read as bytes, so there is no UTF-8 decode and re-encode;
    * leaves are hashed in a list comprehension and the chain in a two-line loop, with
      the functions bound to locals;
    * a batch's chain hashes are compared in one go (joined computed digests, hex-encoded
      once, against the joined stored hex); only a batch that differs is walked again
      event by event to name the first bad one;
    * sequence numbers are checked by the batch's bounds: rows ordered by a unique key
      whose first and last values are expected and expected + count - 1 are contiguous;
    * each MAC is HMAC-SHA256 of a digest at hand from precomputed padded-key states
      (``hmac_sha256_states``), and a batch's MACs are compared in one go too
      (``_macs_intact``).
    """
    state = state or ScanState(mac_keys=mac_keys)
    connection = connections[using]
    wanted = set(capture_sizes)
    captures = sorted(size for size in wanted if size > state.size)
    if state.size in wanted:  # e.g. size 0 at the start
        state.roots[state.size] = state.tree.root()
    tree = state.tree
    extend = tree.extend
    sha256 = hashlib.sha256
    leaf_prefix = b"\x00"
    chain = state.chain
    with _scan_cursor(connection) as cursor:
        cursor.execute(_SCAN_SQL[connection.vendor], [state.next_seq])
        fetchmany = cursor.fetchmany
        while batch := fetchmany(batch_size):
            count = len(batch)
            expected = state.next_seq
            if batch[0][0] == expected and batch[-1][0] == expected + count - 1:
                state.next_seq = expected + count
            else:
                _check_sequence(state, batch)

            leaves = [sha256(leaf_prefix + row[1]).digest() for row in batch]
            chains = []
            add_chain = chains.append
            computed = chain
            for leaf in leaves:
                computed = sha256(computed + leaf).digest()
                add_chain(computed)
            try:
                intact = b"".join(chains).hex() == "".join([row[2] for row in batch])
            except TypeError:  # a stored chain hash that is not text
                intact = False
            chain = computed if intact else _recheck_chain(state, batch, leaves, chain)
            _check_macs(state, batch, chains if intact else None)
            if progress is not None:
                progress(batch[-1][0])

            # Capture the root at checkpoint sizes inside this batch, then finish it.
            start = tree.size
            done = 0
            while captures and captures[0] <= start + count:
                upto = captures.pop(0) - start
                extend(leaves[done:upto])
                state.roots[tree.size] = tree.root()
                done = upto
            extend(leaves[done:] if done else leaves)
    state.chain = chain
    return state


# -- 2. indexed columns against the entry --------------------------------------------

# Every indexed column, rendered as its entry field is written, beside the entry.
_COLUMNS_SQL = {
    "sqlite": (
        "seq, replace(recorded_at, ' ', 'T') || 'Z', actor_id, action, object_type,"
        " object_id, request_id, record_hash, CASE WHEN NULLIF(mac, '') IS NULL THEN NULL"
        " ELSE 2 END"
    ),
    "postgresql": (
        "seq, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
        " actor_id, action, object_type, object_id, request_id, record_hash,"
        " CASE WHEN NULLIF(mac, '') IS NULL THEN NULL ELSE 2 END"
    ),
}

_FIRST_MISMATCH_SQL = {
    # json_valid first: json_extract raises on malformed JSON, and CASE is lazy.
    "sqlite": """
        SELECT MIN(seq) FROM audit_event
        WHERE seq <= %s AND CASE WHEN json_valid(entry) THEN (
               json_type(entry, '$.seq') IS NOT 'integer'
            OR json_extract(entry, '$.seq') IS NOT seq
            OR json_extract(entry, '$.at') IS NOT replace(recorded_at, ' ', 'T') || 'Z'
            OR json_extract(entry, '$.actor_id') IS NOT actor_id
            OR json_extract(entry, '$.action') IS NOT action
            OR json_extract(entry, '$.object_type') IS NOT object_type
            OR json_extract(entry, '$.object_id') IS NOT object_id
            OR json_extract(entry, '$.request_id') IS NOT request_id
            OR json_extract(entry, '$.record_hash') IS NOT record_hash
            OR json_extract(entry, '$.v') IS NOT
               (CASE WHEN NULLIF(mac, '') IS NULL THEN NULL ELSE 2 END)
        ) ELSE 1 END
    """,
    "postgresql": """
        SELECT MIN(seq) FROM (
            SELECT seq, recorded_at, actor_id, action, object_type, object_id, request_id,
                   record_hash, NULLIF(mac, '') AS mac, entry::jsonb AS e
            FROM audit_event WHERE seq <= %s
        ) events
        WHERE jsonb_typeof(e->'seq') IS DISTINCT FROM 'number'
           OR (e->>'seq') IS DISTINCT FROM seq::text
           OR (e->>'at') IS DISTINCT FROM
              to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
           OR (e->>'actor_id') IS DISTINCT FROM actor_id::text
           OR (e->>'action') IS DISTINCT FROM action
           OR (e->>'object_type') IS DISTINCT FROM object_type
           OR (e->>'object_id') IS DISTINCT FROM object_id
           OR (e->>'request_id') IS DISTINCT FROM request_id
           OR (e->>'record_hash') IS DISTINCT FROM record_hash
           OR (e->>'v') IS DISTINCT FROM (CASE WHEN mac IS NULL THEN NULL ELSE '2' END)
    """,
}


def _disagreements(row: tuple) -> list[str] | None:
    """Names of the columns of ``row`` (_COLUMNS_SQL, then entry) that differ from the
    entry; None when the entry is not a JSON object."""
    *columns, entry = row
    try:
        data = json.loads(entry)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    differing = []
    for name, value in zip(INDEXED_COLUMNS, columns, strict=True):
        claimed = data.get(name)
        if claimed != value or (name == "seq" and type(claimed) is not int):
            differing.append(name)
    return differing


def _describe_row(cursor: Any, vendor: str, seq: Any) -> Problem:
    cursor.execute(f"SELECT {_COLUMNS_SQL[vendor]}, entry FROM audit_event WHERE seq = %s", [seq])
    row = cursor.fetchone()
    differing = _disagreements(row) if row else []
    if differing is None:
        message = f"event #{seq}: entry is not a JSON object"
    else:
        names = {"at": "recorded_at", "v": "mac (the entry's format)"}
        columns = ", ".join(names.get(name, name) for name in differing)
        message = f"event #{seq}: indexed column(s) {columns or '?'} disagree with the entry"
    return Problem("index", message, seq=seq)


def check_indexed_columns(tree_size: int, *, using: str = "default") -> Problem | None:
    """The first event up to ``tree_size`` whose indexed columns disagree with its entry."""
    connection = connections[using]
    vendor = connection.vendor
    with connection.cursor() as cursor:
        sql = _FIRST_MISMATCH_SQL.get(vendor)
        first = None
        if sql is not None:
            try:
                # A savepoint: PostgreSQL aborts the query on an entry that is not JSON.
                with transaction.atomic(using=using):
                    cursor.execute(sql, [tree_size])
                    first = cursor.fetchone()[0]
            except DatabaseError:
                sql = None
        if sql is None:
            first = _first_mismatch_in_python(cursor, vendor, tree_size)
        return None if first is None else _describe_row(cursor, vendor, first)


def _first_mismatch_in_python(cursor: Any, vendor: str, tree_size: int) -> Any:
    # Reference path, used when the set-based query cannot run (an entry PostgreSQL
    # cannot cast to jsonb).
    cursor.execute(
        f"SELECT {_COLUMNS_SQL[vendor]}, entry FROM audit_event WHERE seq <= %s ORDER BY seq",
        [tree_size],
    )
    while rows := cursor.fetchmany(BATCH_SIZE):
        for row in rows:
            if _disagreements(row) != []:
                return row[0]
    return None


# -- 3. checkpoints ------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    label: str
    size: int
    root: bytes


def _open_checkpoint(
    label: str, text: str, verifiers: list[notes.Verifier], problems: list[Problem]
) -> _Claim | None:
    if not verifiers:
        problems.append(
            Problem("checkpoint", f"{label}: no site key at {keys.key_path()} to check it with")
        )
        return None
    try:
        body, _ = notes.open_note(text, verifiers)
        checkpoint = notes.parse_checkpoint(body)
    except notes.NoteError as exc:
        problems.append(Problem("checkpoint", f"{label}: not signed by the site key ({exc})"))
        return None
    if checkpoint.origin != verifiers[0].name:
        problems.append(
            Problem("checkpoint", f"{label}: origin {checkpoint.origin!r} is not this site's")
        )
        return None
    return _Claim(label, checkpoint.size, checkpoint.root_hash)


def _stored_claims(
    verifiers: list[notes.Verifier], problems: list[Problem], using: str
) -> list[_Claim]:
    claims = []
    for row in Checkpoint.objects.using(using).order_by("tree_size"):
        label = f"stored checkpoint {row.pk} (size {row.tree_size})"
        claim = _open_checkpoint(label, row.note, verifiers, problems)
        if claim is None:
            continue
        if claim.size != row.tree_size or claim.root.hex() != row.root_hash:
            problems.append(
                Problem("checkpoint", f"{label}: columns disagree with its signed note")
            )
        claims.append(claim)
    return claims


def _is_checkpoint(note: str) -> bool:
    body = note[: note.rfind("\n\n") + 1]
    return keys.parse_key_statement(body) is None


@dataclass
class _Keys:
    verifiers: list[notes.Verifier]
    mac_keys: dict[str, bytes] | None
    log_notes: list[str]


def _trust(verifier_key: str | None, problems: list[Problem], notices: list[str]) -> _Keys:
    """Whom to believe: the key given (--key), else the pinned one (configuration), else
    the one the checkpoint log pinned when the site was set up, else the key file's."""
    try:
        log_notes = checkpoint_log.read_notes()
    except checkpoint_log.LogError as exc:
        problems.append(Problem("checkpoint", f"checkpoint log {checkpoint_log.log_path()}: {exc}"))
        log_notes = []
    try:
        own: str | None = keys.verifier_key_text()
    except keys.SigningKeyMissing as exc:
        own = None
        if not verifier_key:
            problems.append(Problem("key", str(exc)))
    pinned = (
        verifier_key
        or getattr(settings, "QUALIFY_VERIFIER_KEY", "")
        or checkpoint_log.pinned_key(log_notes)
        or own
    )
    if not pinned:
        return _Keys([], None, log_notes)
    try:
        verifiers = checkpoint_log.trusted_verifiers(pinned, log_notes)
    except notes.NoteError as exc:
        problems.append(Problem("key", f"the verifier key {pinned!r} cannot be used: {exc}"))
        return _Keys([], None, log_notes)
    trusted = [notes.verifier_key(v.name, v.public_key) for v in verifiers]
    logged = checkpoint_log.pinned_key(log_notes)
    if logged and logged not in trusted:
        problems.append(
            Problem(
                "key",
                f"the checkpoint log {checkpoint_log.log_path()} pins key {logged}, which is"
                " not the verifier key given nor one it rotated to",
            )
        )
    mac_keys = None
    if own is not None:
        if own not in trusted:
            problems.append(
                Problem(
                    "key",
                    f"the key file {keys.key_path()} is not the pinned verifier key nor a key"
                    " it rotated to (the key was replaced)",
                )
            )
        else:
            mac_keys = keys.mac_keys()
    if mac_keys is None:
        notices.append(
            "event MACs not checked (no site key file here): checkpoints and the tree were"
            " checked with the public key; events after the latest checkpoint are vouched"
            " for by the MACs only, so verify them on the application host"
        )
    return _Keys(verifiers, mac_keys, log_notes)


def _log_claims(trust: _Keys, problems: list[Problem]) -> list[_Claim]:
    claims = []
    for number, note in enumerate(trust.log_notes, 1):
        if not _is_checkpoint(note):
            continue
        label = f"checkpoint log {checkpoint_log.log_path()} entry {number}"
        claim = _open_checkpoint(label, note, trust.verifiers, problems)
        if claim is not None:
            claims.append(claim)
    # The newest is what bounds a truncation; older ones bound rewrites.
    return claims


def _check_claims(claims: list[_Claim], scan: ScanState, problems: list[Problem]) -> None:
    for claim in claims:
        if claim.size > scan.size:
            first_missing = scan.size + 1
            problems.append(
                Problem(
                    "checkpoint",
                    f"{claim.label}: signed for {claim.size} events but the trail has"
                    f" {scan.size}: events removed, first missing #{first_missing}",
                    seq=first_missing,
                )
            )
        elif scan.roots.get(claim.size) != claim.root:
            problems.append(
                Problem(
                    "checkpoint",
                    f"{claim.label}: tree root at size {claim.size} differs from the signed"
                    " root (an event up to that size was changed)",
                )
            )


# -- 4. live records -----------------------------------------------------------------

_LATEST_HASHES_SQL = """
    SELECT e.object_id, e.seq, e.record_hash,
           CASE WHEN NULLIF(e.mac, '') IS NULL THEN 1 ELSE 2 END
    FROM audit_event e
    JOIN (
        SELECT object_id, MAX(seq) AS seq FROM audit_event
        WHERE object_type = %s AND record_hash <> '' AND seq <= %s
        GROUP BY object_id
    ) latest ON e.seq = latest.seq
"""


def _changed_since(object_type: str, tree_size: int, using: str) -> set[str]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT object_id FROM audit_event WHERE object_type = %s AND seq > %s",
            [object_type, tree_size],
        )
        return {row[0] for row in cursor.fetchall()}


def check_live_records(
    tree_size: int, *, using: str = "default", progress: Callable[[int, int], None] | None = None
) -> tuple[int, list[Problem]]:
    """Compare every audited row with the record hash of its latest event up to tree_size,
    hashed as that event's format hashed it. ``progress(models done, models)``."""
    checked = 0
    problems: list[Problem] = []
    models_to_check = sorted(audited_models().items())
    for done, (object_type, model) in enumerate(models_to_check):
        if progress is not None:
            progress(done, len(models_to_check))
        with connections[using].cursor() as cursor:
            cursor.execute(_LATEST_HASHES_SQL, [object_type, tree_size])
            latest = {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}
        found: list[tuple[str, str]] = []
        rows = model._base_manager.using(using).order_by("pk")
        prefetch = security_prefetch(object_type)
        if prefetch:
            rows = rows.prefetch_related(*prefetch)
        for obj in rows.iterator(chunk_size=2000):
            checked += 1
            object_id = str(obj.pk)
            known = latest.pop(object_id, None)
            if known is None:
                found.append((object_id, "row has no audit event"))
            elif record_hash_of(obj, known[2]) != known[1]:
                what = "its last audited state"
                if prefetch and known[2] >= 2:
                    what += " (fields, roles, client access, password or authenticator)"
                found.append((object_id, f"live row differs from {what} (#{known[0]})"))
        for object_id, (seq, _, _) in latest.items():
            found.append((object_id, f"audited (last #{seq}) but the row is gone"))
        if found:
            # Written while we were checking: newer than the trail we verified.
            moving = _changed_since(object_type, tree_size, using)
            found = [item for item in found if item[0] not in moving]
        for object_id, why in found[:MAX_RECORD_PROBLEMS]:
            name = f"{object_type}:{object_id}"
            problems.append(Problem("record", f"{name}: {why}", record=name))
        if len(found) > MAX_RECORD_PROBLEMS:
            more = len(found) - MAX_RECORD_PROBLEMS
            problems.append(Problem("record", f"{object_type}: {more} more record(s) not listed"))
    if progress is not None:
        progress(len(models_to_check), len(models_to_check))
    for message in security.group_permission_problems():
        problems.append(Problem("record", message, record=message.split(":", 2)[0] + ":"))
    return checked, problems


# -- 5. times and triggers -------------------------------------------------------------

_BACKWARDS_SQL = {
    "sqlite": """
        SELECT seq, recorded_at, before FROM (
            SELECT seq, recorded_at, MAX(recorded_at) OVER (
                ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
            FROM audit_event WHERE seq <= %s
        ) WHERE before IS NOT NULL
          AND (julianday(before) - julianday(recorded_at)) * 86400.0 > %s
        ORDER BY seq LIMIT %s
    """,
    "postgresql": """
        SELECT seq, recorded_at, before FROM (
            SELECT seq, recorded_at, MAX(recorded_at) OVER (
                ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
            FROM audit_event WHERE seq <= %s
        ) times WHERE before - recorded_at > make_interval(secs => %s)
        ORDER BY seq LIMIT %s
    """,
}


def time_allowance_seconds() -> float:
    return float(getattr(settings, "QUALIFY_AUDIT_TIME_ALLOWANCE_SECONDS", 300))


def check_times(tree_size: int, *, using: str = "default") -> list[Problem]:
    """Events earlier than an event before them by more than the allowance: back-dated,
    or inserted out of order (the columns agree with the entries, checked above)."""
    connection = connections[using]
    sql = _BACKWARDS_SQL.get(connection.vendor)
    if sql is None:
        return []
    allowance = time_allowance_seconds()
    with connection.cursor() as cursor:
        cursor.execute(sql, [tree_size, allowance, MAX_TIME_PROBLEMS])
        rows = cursor.fetchall()
    return [
        Problem(
            "time",
            f"event #{seq}: its time {str(at)[:26]} is earlier than an earlier event's"
            f" ({str(before)[:26]}) by more than the allowed {allowance:g} s",
            seq=seq,
        )
        for seq, at, before in rows
    ]


def check_triggers(*, using: str = "default") -> list[Problem]:
    connection = connections[using]
    return [
        Problem("trigger", f"table {table}: append-only trigger {name} is missing or disabled")
        for table, name in missing_triggers(connection, guarded_tables())
    ]


# -- all of it -----------------------------------------------------------------------


VerifyProgress = Callable[[str, int, int], None]


def _last_seq(using: str) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT MAX(seq) FROM audit_event")
        return cursor.fetchone()[0] or 0


def verify_trail(
    checkpoint_texts: Iterable[str] | Mapping[str, str] = (),
    *,
    using: str = "default",
    verifier_key: str | None = None,
    progress: VerifyProgress | None = None,
) -> VerificationReport:
    """Check chain, MACs, tree, checkpoints (stored, in the checkpoint log, and
    ``checkpoint_texts``), times, triggers and live records.

    ``checkpoint_texts`` are signed checkpoint notes kept elsewhere; a mapping names
    each one (a file name) in the problems. ``verifier_key`` is the public key to trust
    (`--key`); without it the configured or log-pinned key is trusted.
    ``progress(stage, done, total)`` follows the two long parts: "events" (seq reached
    of the last seq) and "records" (audited models checked of all).
    """
    if isinstance(checkpoint_texts, Mapping):
        given = list(checkpoint_texts.items())
    else:
        given = [(f"given checkpoint {i}", text) for i, text in enumerate(checkpoint_texts, 1)]
    problems: list[Problem] = []
    notices: list[str] = []
    trust = _trust(verifier_key, problems, notices)

    # Checkpoints first: any stored one then describes a prefix of what the scan will read.
    claims = _stored_claims(trust.verifiers, problems, using)
    claims.extend(_log_claims(trust, problems))
    for label, text in given:
        claim = _open_checkpoint(label, text, trust.verifiers, problems)
        if claim is not None:
            claims.append(claim)

    on_events = on_records = None
    if progress is not None:
        last_seq = _last_seq(using)
        progress("events", 0, last_seq)

        def on_events(seq: int) -> None:
            progress("events", seq, max(seq, last_seq))

        def on_records(done: int, total: int) -> None:
            progress("records", done, total)

    scan = scan_events(
        {claim.size for claim in claims},
        using=using,
        mac_keys=trust.mac_keys,
        progress=on_events,
    )
    problems.extend(scan.problems)
    index_problem = check_indexed_columns(scan.size, using=using)
    if index_problem:
        problems.append(index_problem)
    _check_claims(claims, scan, problems)
    problems.extend(check_times(scan.size, using=using))
    problems.extend(check_triggers(using=using))
    records_checked, record_problems = check_live_records(
        scan.size, using=using, progress=on_records
    )
    problems.extend(record_problems)
    # First bad place first: problems naming a seq in order, then the rest as found.
    # A missing trigger is reported last: what was done while it was gone comes first.
    problems.sort(key=lambda p: (p.kind == "trigger", p.seq is None, p.seq or 0))
    return VerificationReport(
        tree_size=scan.size,
        root_hash=scan.root.hex(),
        checkpoints_checked=len(claims),
        records_checked=records_checked,
        problems=problems,
        notices=notices,
    )
