"""The access log: who opened which GxP record, when, through which interface.

Reading is not changing. Access goes to a log of its own (`audit_access_event`), never
to the change trail (A1), so a read never waits for the change trail's lock and the
change trail stays the record of changes:

* append-only like the trail (the same database triggers, A2);
* hash-chained separately (leaf and chain as the trail's, `qualify.audit.trail`)
  with a MAC from the site key (A6), under a lock of its own (another advisory lock
  key on PostgreSQL; on SQLite every write takes the one write lock anyway);
* batched: a request notes what it opened (`note()`); the middleware writes the
  request's notes in one write after the view answered (`flush()`). Outside a request
  (the CLI, a task) a note is written at once;
* lists too (`note_shown()`, P141): a list page or API list names every GxP record it
  showed, one entry each marked `"view": "list"`, so "who saw record X" is one indexed
  query whether X was opened or only listed.

`verify_access_log()` recomputes the chain and the MACs and names the first bad row.
"""

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page
from django.db import connections, models, transaction
from django.utils import timezone

from qualify.audit import keys
from qualify.audit.canonical import canonical_json, jcs_bytes
from qualify.audit.context import current_context
from qualify.audit.registry import audited_models, object_type_of
from qualify.audit.trail import GENESIS, _db_time, chain_next, cut_at, write_rows

# Another 64-bit advisory lock key than the change trail's (trail.ADVISORY_LOCK_KEY).
ACCESS_LOCK_KEY = 0x5155414C49465902
FORMAT = 1
FORMAT_LIST = 2
_COLUMNS = "seq, recorded_at, actor_id, object_type, object_id, request_id, entry, chain_hash, mac"


@dataclass(frozen=True)
class Access:
    at: dt.datetime
    actor_id: int | None
    actor_username: str
    source: str
    request_id: str
    object_type: str
    object_id: str
    path: str
    view: str = "detail"


_pending: ContextVar[list[Access] | None] = ContextVar("qualify_access_pending", default=None)


def is_gxp(obj_or_model: Any) -> bool:
    """Records the trail audits are the GxP records whose opening is logged."""
    return object_type_of(obj_or_model) in audited_models()


# How far a page's or an answer's data is searched for the records it shows
# (`shown_in`): a table row's cell's record; and at most so many per collection and
# per page, which bounds the walk on a large table.
SHOWN_DEPTH = 4
SHOWN_PER_COLLECTION = 500
SHOWN_PER_PAGE = 5_000
# A signature is part of the record it is bound to (its manifestation, 21 CFR 11.50):
# the record's entry answers for it.
PART_OF_ITS_RECORD = frozenset({"signatures.signature"})


def shown_in(value: Any, depth: int = SHOWN_DEPTH) -> list[models.Model]:
    """The GxP records in what a page or an API answer was given: rows of audited
    models reached through lists, dicts, pages, evaluated querysets (only what was
    read: the search never queries), dataclasses and the project's own objects."""
    out: list[models.Model] = []
    _walk(value, depth, set(), out)
    return out


def _walk(value: Any, depth: int, seen: set[int], out: list[models.Model]) -> None:
    if depth < 0 or len(out) >= SHOWN_PER_PAGE or value is None or isinstance(value, str | bytes):
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, models.Model):
        kind = object_type_of(value) if is_gxp(value) else None
        if value.pk is not None and kind is not None and kind not in PART_OF_ITS_RECORD:
            out.append(value)
        return
    if isinstance(value, models.QuerySet):
        items = value._result_cache or []
    elif isinstance(value, Page):
        items = value.object_list
        if isinstance(items, models.QuerySet):
            items = items._result_cache or []
    elif isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [getattr(value, f.name, None) for f in dataclasses.fields(value)]
    elif type(value).__module__.startswith("qualify.") and hasattr(value, "__dict__"):
        items = list(vars(value).values())
    else:
        return
    for n, item in enumerate(items):
        if n >= SHOWN_PER_COLLECTION:
            break
        _walk(item, depth - 1, seen, out)


def note(obj: models.Model, *, user: Any, path: str = "") -> None:
    """Log that ``user`` opened ``obj`` (a GxP record). Inside a request the note waits
    for the request's end; elsewhere it is written at once."""
    note_all([obj], user=user, path=path, view="detail")


def note_shown(objects: Iterable[models.Model], *, user: Any, path: str = "") -> None:
    """Log that a list showed ``user`` these records (those that are GxP records)."""
    note_all(objects, user=user, path=path, view="list")


def note_all(objects: Iterable[models.Model], *, user: Any, path: str, view: str) -> None:
    """The one writer behind `note` ("detail") and `note_shown` ("list"), also called
    by pages and API answers that found the records themselves (qualify.web.shown)."""
    ctx = current_context()
    username = getattr(user, "get_username", lambda: "")() if user is not None else ""
    at = timezone.now()
    gxp: dict[type, str | None] = {}
    notes = []
    for obj in objects:
        model = type(obj)
        if model not in gxp:
            gxp[model] = object_type_of(obj) if is_gxp(obj) else None
        if gxp[model] is None:
            continue
        notes.append(
            Access(
                at=at,
                actor_id=getattr(user, "pk", None),
                actor_username=username,
                source=ctx.source,
                request_id=ctx.request_id,
                object_type=gxp[model],
                object_id=str(obj.pk),
                path=path[:300],
                view=view,
            )
        )
    if not notes:
        return
    batch = _pending.get()
    if batch is None:
        append_access(notes)
        return
    # A record the request already noted (opened by the view, then found again among
    # what its page showed) is written once, as first noted.
    noted = {(a.object_type, a.object_id) for a in batch}
    for a in notes:
        if (a.object_type, a.object_id) not in noted:
            noted.add((a.object_type, a.object_id))
            batch.append(a)


@contextmanager
def collecting() -> Iterator[list[Access]]:
    """Collect the notes of one request; the caller writes them with `flush()`."""
    batch: list[Access] = []
    token = _pending.set(batch)
    try:
        yield batch
    finally:
        _pending.reset(token)


def flush(batch: list[Access]) -> None:
    if batch:
        append_access(batch)
        batch.clear()


def entry_of(seq: int, access: Access) -> str:
    shown_in_list = {"view": access.view} if access.view != "detail" else {}
    return jcs_bytes(
        {
            # An opening's entry is as it always was; a list's names its view.
            "v": FORMAT_LIST if shown_in_list else FORMAT,
            **shown_in_list,
            "seq": seq,
            "at": access.at.astimezone(dt.UTC).isoformat(),
            "actor_id": access.actor_id,
            "actor_username": access.actor_username,
            "source": access.source,
            "request_id": access.request_id,
            "object_type": access.object_type,
            "object_id": access.object_id,
            "path": access.path,
        }
    ).decode("utf-8")


# Stand-ins for an entry's varying fields (as qualify.audit.trail's templates): NUL is
# written escaped, so a stand-in's text occurs in a shared field's text only if that
# field holds the same escape.
_HOLES = ("\x00object_id\x00", "\x00object_type\x00", "\x00seq\x00")


def _shape(access: Access) -> tuple:
    """What the entries of one note share; the varying fields left out."""
    return (
        access.at,
        access.actor_id,
        access.actor_username,
        access.source,
        access.request_id,
        access.path,
        access.view,
    )


def _template(access: Access) -> list[str] | None:
    """The entry's text cut around its object id, object type and seq (in the order
    RFC 8785 sorts them), or None when a shared field's text holds a stand-in."""
    text = entry_of(0, dataclasses.replace(access, object_id=_HOLES[0], object_type=_HOLES[1]))
    return cut_at(text.replace('"seq":0,', f'"seq":{canonical_json(_HOLES[2])},', 1), _HOLES)


def _plain(value: str) -> bool:
    # Ids and model labels: their JSON text is themselves between quotes.
    return value.isascii() and value.replace(".", "").replace("_", "").isalnum()


def entries_of(first_seq: int, batch: list[Access]) -> list[str]:
    """`entry_of` for each access, numbered from first_seq, byte for byte. Issue 18: a
    list page's notes share all but their record and seq (a page of 50 people, the
    matrix's 76 records), so each entry is written from one template of the rest."""
    out = []
    shape: tuple | None = None
    parts: list[str] | None = None
    for seq, access in enumerate(batch, start=first_seq):
        key = _shape(access)
        if key != shape:
            shape, parts = key, _template(access)
        if parts is None or not (_plain(access.object_id) and _plain(access.object_type)):
            out.append(entry_of(seq, access))
            continue
        head, after_id, after_type, tail = parts
        out.append(
            f'{head}"{access.object_id}"{after_id}"{access.object_type}"{after_type}{seq}{tail}'
        )
    return out


# P211: on PostgreSQL the access log's transaction commits without waiting for its
# write-ahead log to reach the disk (synchronous_commit off for that transaction only:
# 0.2-0.7 ms of a page's time here). A crash of the database server can lose the
# entries of its last moment (at most three times wal_writer_delay, 0.6 s by default),
# always the newest, so the chain that survives still verifies; the change trail and
# every GxP record commit as before. QUALIFY_ACCESS_LOG_WAIT_FOR_DISK=true waits.
LOCK_DURABLE = "SELECT pg_advisory_xact_lock(%s)"
LOCK_ASYNC = "SELECT pg_advisory_xact_lock(%s), set_config('synchronous_commit', 'off', true)"


def lock_statement(*, outermost: bool) -> str:
    """The access log's lock, and whether its commit waits for the disk. Only a
    transaction of the log's own may skip the wait: inside another (a note written
    at once by a service, P141) the setting would hold for that transaction's changes
    and their trail too."""
    if outermost and not settings.QUALIFY_ACCESS_LOG_WAIT_FOR_DISK:
        return LOCK_ASYNC
    return LOCK_DURABLE


def append_access(batch: list[Access], using: str = "default") -> list[int]:
    """Append in one durable transaction of its own (a read has no transaction to join)."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(lock_statement(outermost=outermost), [ACCESS_LOCK_KEY])
        cursor.execute("SELECT seq, chain_hash FROM audit_access_event ORDER BY seq DESC LIMIT 1")
        last = cursor.fetchone()
        seq, chain = (last[0], last[1]) if last else (0, GENESIS)
        kid, mac_key = keys.mac_signer()
        rows = []
        for access, entry in zip(batch, entries_of(seq + 1, batch), strict=True):
            seq += 1
            _, chain = chain_next(chain, entry)
            rows.append(
                (
                    seq,
                    _db_time(access.at, connection.vendor),
                    access.actor_id,
                    access.object_type,
                    access.object_id,
                    access.request_id,
                    entry,
                    chain,
                    keys.event_mac(kid, mac_key, bytes.fromhex(chain)),
                )
            )
        write_rows(cursor, connection.vendor, "audit_access_event", _COLUMNS, rows)
    return [row[0] for row in rows]


@dataclass(frozen=True)
class AccessProblem:
    seq: int
    message: str


def verify_access_log(using: str = "default", batch_size: int = 10_000) -> list[AccessProblem]:
    """Recompute the access log's chain and MACs; the problems found (empty when intact).
    Stops at the first break of the chain: what follows cannot be trusted either."""
    from qualify.audit.models import AccessEvent

    previous, expected_seq = GENESIS, 1
    signers = keys.mac_keys()
    rows = (
        AccessEvent.objects.using(using)
        .order_by("seq")
        .values_list("seq", "entry", "chain_hash", "mac")
    )
    for seq, entry, chain_hash, mac in rows.iterator(chunk_size=batch_size):
        if seq != expected_seq:
            return [AccessProblem(seq, f"access log: expected #{expected_seq}, found #{seq}")]
        _, chain = chain_next(previous, entry)
        if chain != chain_hash:
            return [AccessProblem(seq, f"access log: chain hash of #{seq} does not match")]
        kid = (mac or "").partition(":")[0]
        if kid not in signers or keys.event_mac(kid, signers[kid], bytes.fromhex(chain)) != mac:
            return [AccessProblem(seq, f"access log: MAC of #{seq} does not match")]
        previous, expected_seq = chain, seq + 1
    return []
