"""Issue 18, a bulk path for the events' changes (P136): the entries of an append are
written from one template of the fields its events share, and each is byte for byte
`entry_of`'s entry, for any state, detail, actor, reason or object id (hypothesis),
including shared texts that hold the template's own stand-ins, runs of events of
different shapes and unchecked events between them."""

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualify.audit import services as audit
from qualify.audit.context import audit_context
from qualify.audit.trail import _HOLES, entries_of, entry_of
from qualify.training.models import Assignment
from tests.audit.test_bulk_entries_checked_once import DETAILS, STATES, TEXT

pytestmark = [pytest.mark.requirement("P136", "P86", "A6"), pytest.mark.engine_free]

# Shared texts that may hold a stand-in of the template, or look like one.
SHARED_TEXT = st.one_of(TEXT, st.sampled_from([*_HOLES, "\x00", "\\u0000seq\\u0000", '"']))
OBJECT_IDS = st.one_of(st.integers(min_value=0, max_value=10**9).map(str), TEXT)


def _bulk(states, detail, request_id):
    with audit_context(source="test", request_id=request_id):
        return audit.pending_created(
            "training.assignment.created", Assignment, states, actor=None, detail=detail
        )


@settings(max_examples=300, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.lists(STATES, min_size=1, max_size=4), DETAILS, SHARED_TEXT),
        min_size=1,
        max_size=3,
    ),
    object_ids=st.lists(OBJECT_IDS, min_size=12, max_size=12),
    unchecked=st.sets(st.integers(min_value=0, max_value=11)),
    first=st.integers(min_value=1, max_value=2**53 - 20),
    # Within a run of one build: fields changing from one event to the next.
    reasons=st.lists(SHARED_TEXT, min_size=1, max_size=3),
    names=st.lists(SHARED_TEXT, min_size=1, max_size=2),
)
def test_entries_from_a_template_are_entry_of_each(
    runs, object_ids, unchecked, first, reasons, names
):
    events = []
    for states, detail, request_id in runs:
        events += _bulk(states, detail, request_id)
    at = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    events = [
        dataclasses.replace(
            event,
            reason=reasons[i % len(reasons)],
            actor_name=names[i % len(names)],
            recorded_at=at,
            object_id=object_ids[i % 12],
            jcs_checked=event.jcs_checked and i not in unchecked,
        )
        for i, event in enumerate(events)
    ]
    expected = [entry_of(first + i, event) for i, event in enumerate(events)]
    assert entries_of(first, events) == expected


def test_a_fan_out_of_one_shape_is_written_from_one_template():
    """The common case, spelled out: one bulk build, three entries, the varying fields
    in place; and a shared field holding a stand-in is written whole, the same text."""
    events = _bulk([{"id": 1, "a": "x"}, {"id": 2, "a": "y"}, {"id": 3, "a": "z"}], {}, "r")
    texts = entries_of(41, events)
    assert texts == [entry_of(41 + i, e) for i, e in enumerate(events)]
    assert '"changes":{"a":[null,"y"],"id":[null,2]}' in texts[1]
    assert texts[2].endswith('"seq":43,"v":2}')
    assert '"object_id":"3"' in texts[2]
    odd = [dataclasses.replace(e, reason=_HOLES[0]) for e in events]
    assert entries_of(41, odd) == [entry_of(41 + i, e) for i, e in enumerate(odd)]
