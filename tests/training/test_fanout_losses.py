"""Who loses a qualification when a revision takes effect (G3 with Q4), asked of the
engine for thousands of pairs at once: the same verdicts as asking it person by
person (P135).

Histories come from the engine's property test (versions retraining or editorial,
records on any version, signed, broken or unsigned, trainers, orders, recurrence,
corrections, obsolescence), and so do the instants."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings

from qualify.training import engine
from qualify.training.models import Assignment
from qualify.training.services import rules
from tests.training.engine_history import day
from tests.training.support import DAY
from tests.training.test_engine_properties import build, history_spec

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P135", "Q4", "G3")]


def _instant(t_day: int) -> dt.datetime:
    return day(t_day, hours=12) if t_day % 2 else day(t_day)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=history_spec)
def test_losses_in_one_pass_are_the_engines_answers_person_by_person(db, spec):
    with transaction.atomic():
        person, trainer, document, requirement = build(spec)
        people = [person, trainer]
        pairs = [(p.pk, requirement.pk) for p in people]
        instants = {*map(_instant, spec["instants"]), _instant(spec["records"][0]["completed"])}
        # The instants each version takes effect at, where a revision takes qualifications.
        instants |= set(document.versions.values_list("effective_from", flat=True)) - {None}
        for k in [None, day(spec["known_at"][0])]:
            answers = {
                at: [engine.is_qualified(p, requirement, at=at, as_known_at=k) for p in people]
                for at in sorted(instants)
            }
            for at, now in answers.items():
                # The yes/no path (with its Q2 shortcut) gives the full answer's verdict.
                assert engine.qualified_at_instants(pairs, [at], as_known_at=k) == [
                    (q,) for q in now
                ]
            for before, at in zip(list(answers), list(answers)[1:], strict=False):
                for shift in (dt.timedelta(0), dt.timedelta(microseconds=-1)):
                    was = (
                        answers[before]
                        if not shift
                        else [
                            engine.is_qualified(p, requirement, at=at + shift, as_known_at=k)
                            for p in people
                        ]
                    )
                    start = before if not shift else at + shift
                    expected = [w and not s for w, s in zip(was, answers[at], strict=True)]
                    lost = engine.lost_between(pairs, start, at, as_known_at=k)
                    assert lost == expected, (start, at, k)
                    event(f"lost: {sorted(set(lost))}")
        transaction.set_rollback(True)


def _crew(plant, sop, count: int):
    """Operators in the matrix of `sop`; two in three read it (qualified), the others
    keep their open assignment."""
    people = []
    for i in range(count):
        person = plant.person(f"Op{i:03d}", job_function=plant.operators)
        if i % 3:
            plant.read(person, sop)
        people.append(person)
    return people


def test_a_revision_taking_effect_takes_the_qualification_of_the_trained_only(plant):
    sop = plant.requirement("SOP-030-RU", document=plant.document("SOP-030"))
    plant.matrix(sop)
    people = _crew(plant, sop, 6)
    version = plant.revise(sop.document, "2", effective_from=timezone.now() + 40 * DAY)
    effective = version.effective_from
    pairs = [(p.pk, sop.pk) for p in people]
    lost = engine.lost_between(pairs, effective - dt.timedelta(microseconds=1), effective)
    assert lost == [bool(i % 3) for i in range(len(people))]
    # Before it takes effect nobody loses anything; the approval's own check agrees.
    assert engine.lost_between(pairs, timezone.now(), timezone.now() + DAY) == [False] * 6
    assigned = {
        (a.person_id, a.requirement_id): a.pk
        for a in Assignment.objects.filter(document_version=version)
    }
    losses = rules.lost_on_revision(version, assigned)
    assert sorted(x.person_id for x in losses) == [p.pk for i, p in enumerate(people) if i % 3]
