"""Training effectiveness (P46) from assessment attempts: for a requirement with an
assessment, the first-attempt pass rate counts each person's first attempt (passed or
not, signed or not), read from the attempt rows, not from the first scored record."""

import pytest

from qualify.assessments import services
from qualify.assessments.queries import first_attempts
from qualify.quality.models import Deviation
from qualify.quality.queries.effectiveness import effectiveness
from qualify.reports.library.training_effectiveness import training_effectiveness
from qualify.training.models import TrainingRecord
from tests.assessments.support import read, right_answers, wrong_answers
from tests.quality.plant import creds

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P46")]


def _take(person, assessment, answers_of, *, sign):
    user = person.user
    attempt = services.attempt_start(actor=user, assessment=assessment)
    attempt = services.attempt_submit(actor=user, attempt=attempt, answers=answers_of(attempt))
    if sign:
        services.attempt_sign(actor=user, attempt=attempt, credentials=creds(user))
    return attempt


def test_the_first_attempt_is_read_from_the_attempts_passed_or_not(plant, course, operator):
    """Olivia failed her first attempt and did not sign it, then passed and signed;
    Paul passed first time. Her only scored record is the pass, yet her first attempt
    failed: 1 of 2 passed first time (the records alone would say 2 of 2)."""
    requirement, assessment = course
    paul = plant.person("Paul Operator", job_function=plant.operators)
    read(plant, paul, requirement)
    _take(operator, assessment, wrong_answers, sign=False)
    _take(operator, assessment, right_answers, sign=True)
    _take(paul, assessment, right_answers, sign=True)

    records = TrainingRecord.objects.all()
    assert records.filter(score__isnull=False).count() == 2  # both passes only
    covered, firsts = first_attempts(records)
    assert covered == {requirement.pk}
    assert {key: passed for key, (_, passed) in firsts.items()} == {
        (operator.pk, requirement.pk): False,
        (paul.pk, requirement.pk): True,
    }
    (row,) = [
        r
        for r in training_effectiveness(records, Deviation.objects.none(), days=30)
        if r.kind == "document"
    ]
    assert (row.assessed, row.first_passed) == (2, 1)
    (from_records,) = [
        r for r in effectiveness(records, Deviation.objects.none(), days=30) if r.kind == "document"
    ]
    assert (from_records.assessed, from_records.first_passed) == (2, 2)
