"""Issue 18 (P207): the access log's entries of one request are written from one
template of the fields its notes share, and each is byte for byte `entry_of`'s entry,
for any actor, path, request id, view or record (hypothesis), including shared texts
that hold the template's own stand-ins, records whose ids or types are not plain, and
notes of several shapes in one batch."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualify.audit.access import _HOLES, Access, entries_of, entry_of

pytestmark = [pytest.mark.requirement("P207", "P141", "A6"), pytest.mark.engine_free]

TEXT = st.text(max_size=12)
SHARED_TEXT = st.one_of(TEXT, st.sampled_from([*_HOLES, "\x00", '"seq":0,', '"', "\\u0000"]))
OBJECT_IDS = st.one_of(st.integers(min_value=0, max_value=10**9).map(str), TEXT)
OBJECT_TYPES = st.one_of(st.sampled_from(["org.person", "training.matrix_entry"]), TEXT)
AT = dt.datetime(2026, 12, 3, 21, 0, tzinfo=dt.UTC)

SHAPES = st.builds(
    lambda at, actor_id, username, source, request_id, path, view: dict(
        at=at,
        actor_id=actor_id,
        actor_username=username,
        source=source,
        request_id=request_id,
        path=path,
        view=view,
    ),
    st.sampled_from([AT, AT + dt.timedelta(microseconds=1)]),
    st.one_of(st.none(), st.integers(min_value=1, max_value=10**6)),
    SHARED_TEXT,
    st.sampled_from(["web", "api"]),
    SHARED_TEXT,
    SHARED_TEXT,
    st.sampled_from(["detail", "list"]),
)


@settings(max_examples=300, deadline=None)
@given(
    shapes=st.lists(SHAPES, min_size=1, max_size=3),
    records=st.lists(st.tuples(OBJECT_TYPES, OBJECT_IDS), min_size=1, max_size=12),
    first=st.integers(min_value=1, max_value=2**53 - 20),
)
def test_entries_from_a_template_are_entry_of_each(shapes, records, first):
    batch = [
        Access(**shapes[i % len(shapes)], object_type=kind, object_id=pk)
        for i, (kind, pk) in enumerate(records)
    ]
    expected = [entry_of(first + i, access) for i, access in enumerate(batch)]
    assert entries_of(first, batch) == expected


def test_a_list_page_is_written_from_one_template():
    """The common case, spelled out: a page of three people, their ids and the seq in
    place; and a path holding a stand-in is written whole, the same text."""
    shared = dict(at=AT, actor_id=7, actor_username="cora", source="web", request_id="r1")
    batch = [
        Access(**shared, object_type="org.person", object_id=str(pk), path="/p/", view="list")
        for pk in (3, 14, 15)
    ]
    texts = entries_of(41, batch)
    assert texts == [entry_of(41 + i, a) for i, a in enumerate(batch)]
    assert '"object_id":"14","object_type":"org.person"' in texts[1]
    assert '"seq":43,"source":"web"' in texts[2]
    odd = [Access(**{**a.__dict__, "path": _HOLES[2]}) for a in batch]
    assert entries_of(41, odd) == [entry_of(41 + i, a) for i, a in enumerate(odd)]
