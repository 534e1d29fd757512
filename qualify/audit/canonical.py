"""The canonical serialisations (A1, A3, A4, A6, S1).

Format 2 (A6) hashes what an outsider must recompute (audit entries, record states)
as RFC 8785 JSON Canonicalization Scheme bytes (`jcs_bytes`, via the `rfc8785`
package), so a verifier in any language with a JCS library gets the same bytes.
Format 1 (`canonical_json`, below) is kept for events written by earlier releases
and for signature content hashes.

Used for audit event hashes, record-state hashes and signature content hashes, so a
value hashes the same wherever it is hashed: keys sorted, no insignificant white
space, UTF-8, datetimes as UTC ISO 8601 with a trailing Z, dates as ISO 8601,
decimals and UUIDs as strings.
"""

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import rfc8785
from django.db.models.fields.files import FieldFile


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be serialised canonically (T1)")
        utc = value.astimezone(dt.UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, FieldFile):
        # The stored name, never the file's size: an empty FieldFile raises on .size.
        return value.name or ""
    raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def canonical_bytes(value: Any) -> bytes:
    return canonical_json(value).encode("utf-8")


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def to_plain(value: Any) -> Any:
    """A JSON-compatible copy of value, as it would be serialised canonically."""
    return json.loads(canonical_json(value))


def jcs_bytes(value: Any) -> bytes:
    """RFC 8785 canonical JSON of value (made plain first: datetimes, decimals, ...)."""
    return rfc8785.dumps(to_plain(value))


def jcs_sha256_hex(value: Any) -> str:
    return hashlib.sha256(jcs_bytes(value)).hexdigest()
