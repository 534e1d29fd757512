"""The canonical JSON of format 2 (A6) is RFC 8785 byte for byte: the fast path through
the standard library's encoder gives exactly what the `rfc8785` package gives, for every
value (hypothesis), and leaves what it cannot do to the package."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from qualify.audit import canonical
from qualify.audit.canonical import jcs_bytes, to_plain

pytestmark = [pytest.mark.requirement("A6"), pytest.mark.requirement("A3"), pytest.mark.engine_free]

# Full Unicode (no lone surrogates, which no JSON text can carry), astral planes included.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
KEYS = st.one_of(TEXT, st.sampled_from(["a", "\ue000", "\U0001f600", "\u00e9", "\x7f", ""]))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.integers(),  # beyond the I-JSON range: refused alike
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.datetimes(timezones=st.just(dt.UTC)),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.uuids(),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(KEYS, children, max_size=5),
    ),
    max_leaves=25,
)


def _outcome(function, value):
    try:
        return function(value)
    except (ValueError, TypeError) as exc:
        return type(exc).__mro__[1:3]  # the kind of refusal, not its wording


def _reference(value):
    return rfc8785.dumps(to_plain(value))


@given(VALUES)
@settings(max_examples=500, deadline=None)
def test_fast_path_is_byte_identical_to_the_rfc8785_package(value):
    assert _outcome(jcs_bytes, value) == _outcome(_reference, value)


@pytest.mark.parametrize(
    "value",
    [
        # Python sorts keys by code point, RFC 8785 by UTF-16 unit: these two disagree.
        {"\ue000": 1, "\U0001f600": 2},
        {"x": 1e21, "y": 1e-7, "z": 0.1},  # numbers written differently from Python's repr
        {"big": 2**53},  # outside I-JSON: the package refuses it
        {"escapes": '"\\\b\f\n\r\t\x00\x1f\x7f\u2028\u2029é\U0001f600'},
    ],
    ids=["utf16-key-order", "floats", "big-integer", "escapes"],
)
def test_values_the_encoder_gets_wrong_take_the_package(value):
    assert _outcome(jcs_bytes, value) == _outcome(_reference, value)


def test_an_audit_event_takes_the_fast_path():
    event = {
        "v": 2,
        "seq": 7,
        "at": dt.datetime(2026, 1, 5, 7, 0, tzinfo=dt.UTC),
        "actor_id": None,
        "changes": {"due_on": [dt.date(2026, 5, 1), None], "score": [Decimal("80.5"), None]},
        "detail": {"request": uuid.UUID(int=1), "names": ("Zoë", "Ann")},
        "record_hash": "ab" * 32,
    }
    assert canonical._jcs_fast(event)
    assert jcs_bytes(event) == _reference(event)
    assert not canonical._jcs_fast({"ratio": 0.5})
