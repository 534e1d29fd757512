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


def utc_text(value: dt.datetime, sep: str = "T", suffix: str = "Z") -> str:
    """An aware datetime in UTC as ``YYYY-MM-DD<sep>HH:MM:SS.ffffff<suffix>``: the
    text ``strftime("%Y-%m-%d<sep>%H:%M:%S.%f<suffix>")`` gives, by ``isoformat`` (about
    half strftime's cost, which an append of thousands of events pays per event).
    strftime writes a year before 1000 without leading zeros, isoformat with them, so
    those years keep strftime.

    The texts of recent UTC values are kept: the events of one bulk append share
    their timestamp, which each entry and each row would otherwise format again."""
    utc_tz = value.tzinfo is dt.UTC
    if utc_tz:
        key = (value, sep, suffix)
        text = _utc_texts.get(key)
        if text is not None:
            return text
    utc = value.astimezone(dt.UTC)
    if utc.year < 1000:
        text = utc.strftime(f"%Y-%m-%d{sep}%H:%M:%S.%f{suffix}")
    else:
        text = utc.isoformat(sep, "microseconds")[:-6] + suffix
    if utc_tz:
        if len(_utc_texts) >= _UTC_TEXTS_KEPT:
            _utc_texts.clear()
        _utc_texts[key] = text
    return text


# Bounded: cleared when full (a fan-out needs two entries: its entry's and its row's).
_UTC_TEXTS_KEPT = 64
_utc_texts: dict[tuple[dt.datetime, str, str], str] = {}


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be serialised canonically (T1)")
        return utc_text(value)
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


# One encoder for every call: json.dumps with these options would build a new one each
# time (a measurable share of an append of thousands of events). Same output.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
)


def canonical_json(value: Any) -> str:
    return _ENCODER.encode(value)


def canonical_bytes(value: Any) -> bytes:
    return canonical_json(value).encode("utf-8")


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def to_plain(value: Any) -> Any:
    """A JSON-compatible copy of value, as it would be serialised canonically."""
    return json.loads(canonical_json(value))


# -- RFC 8785 (JCS) --------------------------------------------------------------------
#
# The `rfc8785` package is pure Python and, per event, several times slower than the
# standard library's C encoder; every append canonicalises twice (entry, record hash).
# For the values the trail holds, the encoder's output *is* the JCS text:
#
# * strings: both escape exactly `"`, `\\`, and U+0000..U+001F (\b \t \n \f \r, else
#   \u00xx in lower case) and write every other character as itself, in UTF-8;
# * integers within +-(2**53 - 1), true, false, null: the same digits and words;
# * member order: JCS sorts keys by UTF-16 code units, Python by code points; the two
#   orders agree while no key holds a character at or above U+D800.
#
# Anything else (a float, a larger integer, such a key, a set, an unknown type) takes
# the `rfc8785` package. tests/audit/test_canonical_fast_path.py checks byte equality
# with the package over generated values (hypothesis).

_JCS_INT = JCS_INT = 2**53 - 1  # the integers RFC 8785 writes as the encoder does
_AS_STRING = (dt.date, Decimal, uuid.UUID, bytes, FieldFile)  # _default makes them text


_JCS_LEAVES = frozenset({str, bool, type(None)})


def _jcs_fast(value: Any) -> bool:
    """True when the standard encoder's output of value is its RFC 8785 text.

    Strings, None and booleans, by far the most common members, are passed over
    without a call, and so are integers in range and lists of such leaves (an audit
    event's `changes` is a dict of [before, after] pairs): this runs twice at every
    append."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and max(key) >= "\ud800"):
                return False
            t = type(item)
            if t in _JCS_LEAVES:
                continue
            if t is int:
                if -_JCS_INT <= item <= _JCS_INT:
                    continue
                return False
            if t is list:  # a change: [before, after]
                for member in item:
                    m = type(member)
                    if m in _JCS_LEAVES or (m is int and -_JCS_INT <= member <= _JCS_INT):
                        continue
                    if not _jcs_fast(member):
                        return False
                continue
            if not _jcs_fast(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            t = type(item)
            if t in _JCS_LEAVES:
                continue
            if t is int:
                if -_JCS_INT <= item <= _JCS_INT:
                    continue
                return False
            if not _jcs_fast(item):
                return False
        return True
    if kind is int:
        return -_JCS_INT <= value <= _JCS_INT
    if value is None or kind is bool or isinstance(value, str):
        return True
    # datetimes (a date subclass), dates, decimals, UUIDs, bytes, files: strings.
    return isinstance(value, _AS_STRING)


def jcs_plain(value: Any) -> bool:
    """True when `canonical_json(value)` is already value's RFC 8785 text (see above),
    for a builder that checks a value once and reuses the answer (P131)."""
    return _jcs_fast(value)


def jcs_bytes(value: Any) -> bytes:
    """RFC 8785 canonical JSON of value (made plain first: datetimes, decimals, ...)."""
    if _jcs_fast(value):
        return canonical_json(value).encode("utf-8")
    return rfc8785.dumps(to_plain(value))


def jcs_sha256_hex(value: Any) -> str:
    return hashlib.sha256(jcs_bytes(value)).hexdigest()
