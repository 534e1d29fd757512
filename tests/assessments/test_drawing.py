"""P34: the draw. For any bank, counts per topic and seed: exactly N questions per
topic, none twice, every question's options a permutation of its own, and the same
draw again from the same seed (what the attempt stores)."""

from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualify.assessments.drawing import NotEnoughQuestions, draw, shortfalls

pytestmark = [pytest.mark.requirement("P34", "L1"), pytest.mark.engine_free]

KINDS = ["single", "multiple", "ordering", "wrong_step", "true_false", "numeric", "short_text"]


@dataclass(frozen=True)
class Q:
    key: str
    topic: str
    kind: str
    options: list = field(default_factory=list, hash=False)


@st.composite
def banks(draw_):
    topics = draw_(st.lists(st.sampled_from("ABCDEFG"), min_size=1, max_size=5, unique=True))
    questions = []
    for topic in topics:
        for n in range(draw_(st.integers(1, 8))):
            kind = draw_(st.sampled_from(KINDS))
            count = draw_(st.integers(2, 6)) if kind in KINDS[:4] else 0
            options = [{"key": "abcdef"[i], "text": f"{topic}{n}-{i}"} for i in range(count)]
            questions.append(Q(key=f"{topic}{n:02d}", topic=topic, kind=kind, options=options))
    have = Counter(q.topic for q in questions)
    per_topic = {t: draw_(st.integers(1, have[t])) for t in topics}
    return questions, per_topic


@settings(max_examples=200, deadline=None)
@given(banks(), st.integers(min_value=0, max_value=2**52))
def test_the_draw_takes_n_per_topic_without_repeats_and_shuffles_options(bank, seed):
    questions, per_topic = bank
    drawn = draw(questions, per_topic, seed)
    assert Counter(d.question.topic for d in drawn) == Counter(per_topic)
    keys = [d.question.key for d in drawn]
    assert len(keys) == len(set(keys))
    for d in drawn:
        own = sorted(o["key"] for o in d.question.options)
        if d.question.kind in KINDS[:4]:
            assert sorted(d.option_order) == own
        else:
            assert d.option_order == ()


@settings(max_examples=200, deadline=None)
@given(banks(), st.integers(min_value=0, max_value=2**52))
def test_the_draw_is_reproducible_from_the_seed_whatever_the_order_of_the_bank(bank, seed):
    questions, per_topic = bank
    first = draw(questions, per_topic, seed)
    again = draw(list(reversed(questions)), dict(reversed(list(per_topic.items()))), seed)
    assert [(d.question.key, d.option_order) for d in first] == [
        (d.question.key, d.option_order) for d in again
    ]


@settings(max_examples=100, deadline=None)
@given(banks())
def test_different_seeds_give_different_draws_when_there_is_a_choice(bank):
    """Random, not fixed: when the bank leaves a choice (more questions than drawn,
    options to shuffle, or several questions to order), 40 seeds give more than one draw."""
    questions, per_topic = bank
    have = Counter(q.topic for q in questions)
    choice = (
        any(per_topic[t] < have[t] for t in per_topic)
        or any(len(q.options) > 1 for q in questions if q.topic in per_topic)
        or sum(per_topic.values()) > 1
    )
    draws = {
        tuple((d.question.key, d.option_order) for d in draw(questions, per_topic, seed))
        for seed in range(40)
    }
    if choice:
        assert len(draws) > 1
    else:
        assert len(draws) == 1


def test_a_topic_with_too_few_questions_is_named():
    questions = [Q("A1", "A", "true_false"), Q("B1", "B", "true_false")]
    assert shortfalls(questions, {"A": 2, "B": 1}) == {
        "A": "the bank has 1 question(s) on 'A'; the assessment draws 2"
    }
    with pytest.raises(NotEnoughQuestions, match="on 'A'"):
        draw(questions, {"A": 2}, 1)
