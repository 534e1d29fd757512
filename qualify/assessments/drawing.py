"""The draw (L1): which questions an attempt gets and the order of their options.

A pure function of the bank's questions, the counts per topic and the attempt's
seed, so an attempt can be drawn again from what it stores and a test can check the
counts, the absence of repeats and the reproducibility for any seed.
"""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


class Drawable(Protocol):
    key: str
    topic: str
    kind: str
    options: list


@dataclass(frozen=True)
class Drawn:
    question: Drawable
    option_order: tuple[str, ...]


class NotEnoughQuestions(ValueError):
    pass


SHUFFLED_KINDS = {"single", "multiple", "ordering", "wrong_step"}


def shortfalls(questions: Sequence[Drawable], per_topic: Mapping[str, int]) -> dict[str, str]:
    """Topics that cannot be drawn: {topic: why}."""
    have: dict[str, int] = {}
    for q in questions:
        have[q.topic] = have.get(q.topic, 0) + 1
    problems = {}
    for topic, wanted in per_topic.items():
        if have.get(topic, 0) < int(wanted):
            problems[topic] = (
                f"the bank has {have.get(topic, 0)} question(s) on '{topic}'; "
                f"the assessment draws {wanted}"
            )
    return problems


def draw(questions: Sequence[Drawable], per_topic: Mapping[str, int], seed: int) -> list[Drawn]:
    """N questions per topic without repeats, in a shuffled order, each with its
    options in a shuffled order. Topics and questions are taken in a fixed order
    (topic name, question key) before the seeded choices, so the result depends only
    on the bank's content, the counts and the seed."""
    problems = shortfalls(questions, per_topic)
    if problems:
        raise NotEnoughQuestions("; ".join(problems.values()))
    rng = random.Random(seed)
    by_topic: dict[str, list[Drawable]] = {}
    for q in sorted(questions, key=lambda q: q.key):
        by_topic.setdefault(q.topic, []).append(q)
    chosen: list[Drawable] = []
    for topic in sorted(per_topic):
        chosen.extend(rng.sample(by_topic.get(topic, []), int(per_topic[topic])))
    rng.shuffle(chosen)
    drawn = []
    for q in chosen:
        order = [o["key"] for o in q.options] if q.kind in SHUFFLED_KINDS else []
        rng.shuffle(order)
        drawn.append(Drawn(question=q, option_order=tuple(order)))
    return drawn
