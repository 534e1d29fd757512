"""Issue 18, cheaper canonical form per bulk event (P131, P133): an event that
`pending_created` has checked once is entered without a second walk, and the entry is
byte for byte the RFC 8785 entry the unchecked path gives, for any state (hypothesis),
including states the fast path cannot write (floats, keys past U+D800), which the
builder leaves unchecked; an integer beyond 2**53 is refused as before. UTC times are
written as strftime writes them, for every instant and zone."""

import dataclasses
import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rfc8785 import IntegerDomainError

from qualify.audit import canonical
from qualify.audit import services as audit
from qualify.audit.canonical import utc_text
from qualify.audit.context import audit_context
from qualify.audit.trail import entry_of
from qualify.training.models import Assignment

pytestmark = pytest.mark.engine_free

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
KEYS = st.one_of(TEXT, st.sampled_from(["person_id", "\U0001f600", "\ue000", "\u00e9"]))
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
VALUES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=3)
    ),
    max_leaves=10,
)
STATES = st.dictionaries(KEYS, VALUES, max_size=6).map(lambda state: {**state, "id": 7})
DETAILS = st.dictionaries(KEYS, VALUES, max_size=3)


def _unchecked(event):
    return dataclasses.replace(event, jcs_checked=False)


@pytest.mark.requirement("P131", "P86", "A6")
@settings(max_examples=300, deadline=None)
@given(states=st.lists(STATES, min_size=1, max_size=4), detail=DETAILS)
def test_an_entry_checked_once_is_the_rfc8785_entry(states, detail):
    """Whatever the states and detail, each bulk event's entry and record hash are what
    the unchecked RFC 8785 path gives; an event is marked checked only when its state,
    the shared fields and the detail all have the encoder's text as RFC 8785 text."""
    with audit_context(source="test", request_id="r-131"):
        events = audit.pending_created(
            "training.assignment.created", Assignment, states, actor=None, detail=detail
        )
    for seq, (state, event) in enumerate(zip(states, events, strict=True), start=1):
        assert event.jcs_checked == (
            canonical.jcs_plain(state) and canonical.jcs_plain(canonical.to_plain(detail))
        )
        assert entry_of(seq, event) == entry_of(seq, _unchecked(event))
        assert event.record_hash == canonical.jcs_sha256_hex(state)
        assert event == _unchecked(event)  # the mark is not part of the event


@pytest.mark.requirement("P131", "A6")
def test_a_state_the_fast_path_cannot_write_is_left_to_rfc8785():
    """A float in a state: the event is not marked, its entry goes through the
    `rfc8785` package (a float's text differs from Python's); an integer beyond 2**53
    is refused, as the record hash refuses it, and builds no event."""
    states = [{"id": 1, "score": 1e21}, {"id": 3, "ok": "yes"}]
    events = audit.pending_created("training.assignment.created", Assignment, states, actor=None)
    assert [e.jcs_checked for e in events] == [False, True]
    assert '"score":[null,1e+21]' in entry_of(1, events[0])
    too_large = {"id": 2, "count": 2**60}
    with pytest.raises(IntegerDomainError):
        canonical.jcs_sha256_hex(too_large)
    with pytest.raises(IntegerDomainError):
        audit.pending_created("training.assignment.created", Assignment, [too_large], actor=None)


@pytest.mark.requirement("P131", "A6")
def test_a_sequence_number_beyond_the_fast_range_is_left_to_rfc8785():
    """The mark covers the event's fields, not its sequence number: one past 2**53 is
    refused as the unchecked path refuses it, not written by the fast path."""
    [event] = audit.pending_created(
        "training.assignment.created", Assignment, [{"id": 1}], actor=None
    )
    assert event.jcs_checked
    with pytest.raises(Exception) as checked:
        entry_of(2**53, event)
    with pytest.raises(Exception) as unchecked:
        entry_of(2**53, _unchecked(event))
    assert type(checked.value) is type(unchecked.value)


ZONES = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=-9, minutes=-30))]
    + [zoneinfo.ZoneInfo(name) for name in ("Europe/Berlin", "America/New_York", "Asia/Kolkata")]
)


@pytest.mark.requirement("P133", "A6", "T1")
@settings(max_examples=500, deadline=None)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=ZONES
    )
)
def test_utc_text_is_what_strftime_writes(moment):
    """For every aware instant (years 1 to 9999, DST folds included) the audit's time
    text is strftime's, in the entry form and in SQLite's column form, asked twice (the
    second from the texts kept)."""
    utc = moment.astimezone(dt.UTC)
    for _ in range(2):
        assert utc_text(moment) == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert utc_text(moment, " ", "") == utc.strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.mark.requirement("P133", "A6")
def test_kept_texts_stay_bounded_and_right():
    """Many distinct instants: the kept texts never exceed their bound, and an instant
    asked again after they were cleared is written anew, the same."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    first = utc_text(start)
    for n in range(1, 500):
        moment = start + dt.timedelta(microseconds=n)
        assert utc_text(moment).endswith(f".{n:06d}Z")
        assert len(canonical._utc_texts) <= canonical._UTC_TEXTS_KEPT
    assert utc_text(start) == first == "2026-01-01T00:00:00.000000Z"
