"""Answers derived from GxP records, remembered while the audit trail's head stands.

Every service that changes a GxP record appends an audit event in the change's
transaction (P5), so the trail's last chain hash names the state of every record:
an answer computed after reading a head still holds while that head is the last one.
Some answers also change with time alone (an assignment falls overdue at its due
date), so a remembered answer is also bounded by an age. The answers are kept in
Django's cache (per process by default, Redis when configured: app servers then
share them). The key carries the head, so a changed trail never meets an old answer;
the hash names the whole history, so a restored database never matches either.
"""

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache import cache

from qualify.audit.trail import last_chain_hash

KEY_PREFIX = "qualify:memo:"


def memo_key(name: str, scope: Hashable, head: str) -> str:
    # Hashed: a scope (a set of client ids) has no length bound, cache keys do.
    digest = hashlib.sha256(repr((scope, head)).encode()).hexdigest()
    return f"{KEY_PREFIX}{name}:{digest}"


def while_unchanged(
    name: str, scope: Hashable, compute: Callable[[dt.datetime], Any], *, seconds: float
) -> tuple[dt.datetime, Any]:
    """(when it was taken, the answer) of `compute(when)`, remembered for this `scope`
    while the trail's head is the one read before it was computed and for at most
    `seconds`. `scope` must name everything besides the records that the answer
    depends on (whose view it is: U2), so that only equal views share an entry."""
    head = last_chain_hash()
    key = memo_key(name, scope, head)
    now = time.time()
    kept = cache.get(key)
    # The age is checked here: the cache's own expiry (twice the age) bounds memory only.
    if isinstance(kept, tuple) and len(kept) == 2 and 0 <= now - kept[0] < seconds:
        return dt.datetime.fromtimestamp(kept[0], dt.UTC), kept[1]
    # Computed after the head was read: it is at least as new as the head names.
    taken_at = dt.datetime.fromtimestamp(now, dt.UTC)
    value = compute(taken_at)
    cache.set(key, (now, value), timeout=2 * seconds)
    return taken_at, value
