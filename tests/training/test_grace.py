"""Q10 grace: a person stays "qualified (in grace)" for a requirement's grace days
after their record expires, while their retraining is open; zero days is no grace."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualify.training import engine
from qualify.training.engine import Reason
from qualify.training.models import AssignmentStatus
from tests.training.engine_history import History, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def h():
    return History()


def _expiring(h, *, grace_days):
    """A person whose one-month record of a requirement expires at day 31."""
    p = h.person()
    r = h.requirement(recurrence_months=1)
    r.grace_days = grace_days
    r.save()
    record = h.record(p, r, completed=day(0))
    expiry = engine.add_months(record.completed_at, 1)
    return p, r, expiry


@pytest.mark.requirement("Q10", "P45")
def test_with_retraining_open_the_person_is_qualified_in_grace_until_it_ends(h):
    """Expired, grace of 10 days, retraining open: qualified (in grace) until expiry
    + 10 days, and the answer names that end; not qualified from it."""
    p, r, expiry = _expiring(h, grace_days=10)
    h.assign(p, r, due=expiry, created=expiry - dt.timedelta(days=30))
    before = engine.qualification(p, r, at=expiry - dt.timedelta(seconds=1))
    assert before.qualified
    assert not before.in_grace
    answer = engine.qualification(p, r, at=expiry + dt.timedelta(days=9))
    assert answer.qualified
    assert answer.in_grace
    assert answer.grace_ends == expiry + dt.timedelta(days=10)
    assert answer.state_label == "qualified (in grace)"
    assert answer.reasons == ()
    after = engine.qualification(p, r, at=expiry + dt.timedelta(days=10))
    assert not after.qualified
    assert not after.in_grace
    assert list(after.reasons) == [Reason.EXPIRED]


@pytest.mark.requirement("Q10")
def test_zero_grace_days_is_no_grace(h):
    """Default zero: expired means not qualified, retraining open or not."""
    p, r, expiry = _expiring(h, grace_days=0)
    h.assign(p, r, due=expiry, created=expiry - dt.timedelta(days=30))
    answer = engine.qualification(p, r, at=expiry + dt.timedelta(hours=1))
    assert not answer.qualified
    assert not answer.in_grace
    assert list(answer.reasons) == [Reason.EXPIRED]


@pytest.mark.requirement("Q10")
def test_no_grace_without_open_retraining(h):
    """Grace lasts only while retraining is open: none assigned, or the assignment
    cancelled before T, gives no grace."""
    p, r, expiry = _expiring(h, grace_days=10)
    at = expiry + dt.timedelta(days=2)
    assert not engine.qualification(p, r, at=at).qualified
    h.assign(
        p,
        r,
        due=expiry,
        created=expiry - dt.timedelta(days=30),
        status=AssignmentStatus.CANCELLED,
        closed=expiry + dt.timedelta(days=1),
    )
    assert engine.qualification(p, r, at=expiry + dt.timedelta(hours=12)).in_grace
    answer = engine.qualification(p, r, at=at)
    assert not answer.qualified
    assert list(answer.reasons) == [Reason.EXPIRED]


@pytest.mark.requirement("Q10", "Q7")
def test_grace_as_known_at_uses_only_the_assignments_known_then(h):
    """Q7: an assignment created after K does not give grace as known at K."""
    p, r, expiry = _expiring(h, grace_days=10)
    h.assign(p, r, due=expiry + dt.timedelta(days=20), created=expiry + dt.timedelta(days=1))
    at = expiry + dt.timedelta(days=3)
    assert engine.qualification(p, r, at=at).in_grace
    assert not engine.qualification(p, r, at=at, as_known_at=expiry).qualified


@pytest.mark.requirement("Q10", "Q9")
def test_a_leaver_is_not_in_grace(h):
    p, r, expiry = _expiring(h, grace_days=10)
    h.assign(p, r, due=expiry, created=expiry - dt.timedelta(days=30))
    p.left_at = expiry
    p.deactivated_at = expiry
    p.save()
    answer = engine.qualification(p, r, at=expiry + dt.timedelta(days=1))
    assert not answer.qualified
    assert not answer.in_grace
    assert Reason.PERSON_LEFT in answer.reasons


@pytest.mark.requirement("Q10", "P45")
def test_grace_does_not_cover_a_revoked_record(h):
    """Grace covers expiry only: a requalification order still revokes."""
    p, r, expiry = _expiring(h, grace_days=10)
    h.assign(p, r, due=expiry, created=expiry - dt.timedelta(days=30))
    h.revoke(p, r, issued=expiry + dt.timedelta(days=1))
    answer = engine.qualification(p, r, at=expiry + dt.timedelta(days=2))
    assert not answer.qualified
    assert set(answer.reasons) == {Reason.EXPIRED, Reason.REVOKED}


@pytest.mark.requirement("Q10", "P45")
def test_a_document_answer_in_grace_says_so(h):
    doc = h.document(versions=[(-60, True)])
    p = h.person()
    r = h.requirement(doc, recurrence_months=1)
    r.grace_days = 5
    r.save()
    h.record(p, r, completed=day(0))
    expiry = engine.add_months(day(0), 1)
    h.assign(p, r, due=expiry, created=expiry - dt.timedelta(days=10))
    answer = engine.document_qualification(p, doc, at=expiry + dt.timedelta(days=1))
    assert answer.qualified
    assert answer.in_grace
    assert answer.state_label == "qualified (in grace)"
    assert answer.grace_ends == expiry + dt.timedelta(days=5)


# ------------------------------------------------------------------ property


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    grace=st.integers(min_value=0, max_value=20),
    months=st.integers(min_value=1, max_value=3),
    assignments=st.lists(
        st.tuples(
            st.integers(min_value=-40, max_value=120),  # created, days after completion
            st.one_of(st.none(), st.integers(min_value=0, max_value=60)),  # open for
        ),
        max_size=3,
    ),
    at_offset=st.integers(min_value=-5, max_value=30),  # days after expiry
    known_offset=st.one_of(st.none(), st.integers(min_value=-10, max_value=40)),
)
@pytest.mark.requirement("Q10", "Q7")
def test_grace_matches_a_plain_reading_of_q10(grace, months, assignments, at_offset, known_offset):
    """Against a reference read straight from Q10: qualified iff before expiry, or
    within grace days after it with an assignment open at T (as known at K)."""
    with transaction.atomic():
        h = History()
        p = h.person()
        r = h.requirement(recurrence_months=months)
        r.grace_days = grace
        r.save()
        completed = day(0)
        h.record(p, r, completed=completed)
        expiry = engine.add_months(completed, months)
        spans = []
        for created_days, open_days in assignments:
            created = completed + dt.timedelta(days=created_days, hours=1)
            closed = None if open_days is None else created + dt.timedelta(days=open_days)
            status = AssignmentStatus.OPEN if closed is None else AssignmentStatus.CANCELLED
            if status == AssignmentStatus.OPEN and any(c is None for _, c in spans):
                continue  # at most one open assignment per person and requirement
            h.assign(p, r, due=created, created=created, status=status, closed=closed)
            spans.append((created, closed))
        at = expiry + dt.timedelta(days=at_offset, hours=2)
        k = None if known_offset is None else expiry + dt.timedelta(days=known_offset)

        def known(moment):
            return moment is not None and (k is None or moment <= k)

        open_at_t = any(
            known(created) and created <= at and not (known(closed) and closed <= at)
            for created, closed in spans
        )
        in_grace = expiry <= at < expiry + dt.timedelta(days=grace) and open_at_t
        expected = at < expiry or in_grace
        answer = engine.qualification(p, r, at=at, as_known_at=k)
        assert answer.qualified == expected
        assert answer.in_grace == in_grace
        transaction.set_rollback(True)


@pytest.mark.requirement("Q10", "P45", "Q9")
def test_in_grace_is_said_the_same_by_the_gate_api_the_cli_and_the_report(h):
    """P45: one answer, in the same words on every interface."""
    from qualify.api.views.gate import answer_json as api_json
    from qualify.reports.library.qualified import reasons as report_reasons
    from qualify.training.management.commands.qualified import answer_json as cli_json

    doc = h.document(versions=[(-60, True)])
    p = h.person()
    r = h.requirement(doc, recurrence_months=1)
    r.grace_days = 5
    r.save()
    h.record(p, r, completed=day(0))
    expiry = engine.add_months(day(0), 1)
    h.assign(p, r, due=expiry, created=expiry - dt.timedelta(days=10))
    answer = engine.document_qualification(p, doc, at=expiry + dt.timedelta(days=1))
    api = api_json(answer)
    assert api["qualified"] is True
    assert api["in_grace"] is True
    assert api["requirements"][0]["in_grace"] is True
    assert api["grace_ends"].startswith(f"{(expiry + dt.timedelta(days=5)):%Y-%m-%d}")
    cli = cli_json(answer)
    assert cli["in_grace"] is True
    assert cli["requirements"][0]["in_grace"] is True
    assert report_reasons(answer.requirements[0]).startswith("qualified (in grace) until")


@pytest.mark.requirement("Q10", "P45")
def test_a_coordinator_sets_grace_on_a_recurring_requirement_only(plant):
    """Configurable per requirement: days on recurring training; refused without
    recurrence or beyond a year; zero by default."""
    from django.core.exceptions import ValidationError

    from qualify.training.models import Method

    assert plant.requirement("GMP-0", method=Method.EXTERNAL).grace_days == 0
    kept = plant.requirement("GMP-1", method=Method.EXTERNAL, recurrence_months=12, grace_days=14)
    assert kept.grace_days == 14
    with pytest.raises(ValidationError, match="only to training that recurs"):
        plant.requirement("GMP-2", method=Method.EXTERNAL, grace_days=14)
    with pytest.raises(ValidationError, match="0 to 365 days"):
        plant.requirement("GMP-3", method=Method.EXTERNAL, recurrence_months=12, grace_days=400)
