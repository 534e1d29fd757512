"""Issue 18 (P197): a fan-out's created records' states are encoded from one template of
their shape (qualify.audit.shapes). Whatever the states, the texts are the encoder's,
byte for byte, the events' record hashes and entries are what encoding each state
gives, and a state of another shape (other keys, a member no longer an integer, a bool
where an integer was) is left to the encoder."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualify.audit import services as audit
from qualify.audit.canonical import JCS_INT, canonical_json, jcs_plain, jcs_sha256_hex
from qualify.audit.context import audit_context
from qualify.audit.shapes import created_texts
from qualify.audit.trail import entries_of
from qualify.training.models import Assignment

pytestmark = pytest.mark.requirement("P197", "A6")

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=6)
KEYS = st.one_of(TEXT, st.sampled_from(["id", "person_id", "\u00e9", "\x00hole 0\x00"]))
INTS = st.integers(min_value=-JCS_INT, max_value=JCS_INT)
SHARED = st.one_of(st.none(), st.booleans(), TEXT, st.sampled_from(["open", "revision"]))


@st.composite
def states_of_one_shape(draw):
    """States with the same keys: integer members that vary, the others shared objects
    (a few alternatives each, as a fan-out's states hold the very same objects)."""
    int_keys = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
    other_keys = draw(st.lists(KEYS.filter(lambda k: k not in int_keys), max_size=4, unique=True))
    choices = {key: draw(st.lists(SHARED, min_size=1, max_size=2)) for key in other_keys}
    count = draw(st.integers(min_value=1, max_value=6))
    states = []
    for _ in range(count):
        state = {key: draw(INTS) for key in int_keys}
        for key in other_keys:
            state[key] = choices[key][draw(st.integers(0, len(choices[key]) - 1))]
        states.append(state)
    return states


def _expected(state):
    return canonical_json(state), canonical_json({k: [None, v] for k, v in state.items()})


@settings(max_examples=300, deadline=None)
@given(states=states_of_one_shape())
def test_the_texts_of_a_shape_are_the_encoders(states):
    texts = created_texts(states)
    if texts is None:
        # Refused only when a state's text is not RFC 8785 already (a key past
        # U+D800 sorts otherwise) or a member holds a stand-in's text.
        members = [x for state in states for pair in state.items() for x in pair]
        assert not all(map(jcs_plain, states)) or any(
            isinstance(x, str) and "\x00hole" in x for x in members
        )
        return
    assert texts == [_expected(state) for state in states]


@pytest.mark.django_db
@settings(max_examples=100, deadline=None)
@given(states=states_of_one_shape())
def test_events_built_from_templates_are_the_events_encoded_one_by_one(states):
    for n, state in enumerate(states):
        state["id"] = n + 1  # the model's key, as the fan-out's states hold it
    with audit_context(source="test", request_id="r-197"):
        events = audit.pending_created(
            "training.assignment.created", Assignment, states, actor=None
        )
    plain = [dataclasses.replace(e, changes_text=None) for e in events]
    assert entries_of(41, events) == entries_of(41, plain)
    assert [e.record_hash for e in events] == [jcs_sha256_hex(s) for s in states]


def test_a_state_of_another_shape_is_left_to_the_encoder():
    base = {"id": 1, "person_id": 2, "status": "open", "closed_at": None}
    assert created_texts([base, {**base, "id": 3}]) == [
        _expected(base),
        _expected({**base, "id": 3}),
    ]
    assert created_texts([base, {**base, "extra": 1}]) is None  # other keys
    assert created_texts([base, {**base, "person_id": "2"}]) is None  # no longer an integer
    assert created_texts([base, {**base, "person_id": True}]) is None  # 1 == True
    assert created_texts([base, {**base, "id": JCS_INT + 1}]) is None  # beyond RFC 8785
    assert created_texts([]) == []


def test_a_shared_member_equal_but_of_another_type_gets_its_own_template():
    """By identity, not equality: False == 0, yet "false" and "0" differ."""
    first = {"id": 1, "flag": False}
    second = {"id": 2, "flag": 0}
    assert created_texts([first, second]) == [_expected(first), _expected(second)]


def test_a_member_holding_format_signs_is_written_as_it_is():
    """The template is a %-format: a member's own % signs stay text."""
    states = [{"id": n, "note": "100% done %d %s %%", "person_id": 7} for n in (1, 2)]
    assert created_texts(states) == [_expected(state) for state in states]
