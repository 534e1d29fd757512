import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.org import events, queries, services
from qualify.org.models import JobAssignment
from tests.org.support import audit_count, audit_events, utc

JAN = utc(2026, 1, 1)
FEB = utc(2026, 2, 1)
MAR = utc(2026, 3, 1)
APR = utc(2026, 4, 1)


@pytest.fixture
def at_march():
    with time_machine.travel(MAR, tick=False):
        yield


@pytest.mark.requirement("T2", "A1")
def test_starting_a_job_assignment_records_when_the_system_learnt_it_and_fires_once(
    at_march, coordinator, person, operator_function
):
    fired = []
    events.job_assignment_started.connect(lambda **kw: fired.append(kw))
    assignment = services.job_assignment_start(
        actor=coordinator,
        person=person,
        job_function=operator_function,
        valid_from=JAN,
        reason="HR feed, backdated",
    )
    assert assignment.valid_from == JAN
    assert assignment.recorded_at == MAR
    assert fired == [{"actor": coordinator, "assignment": assignment}]
    (event,) = audit_events(assignment)
    assert event.action == "org.job_assignment.started"
    assert event.reason == "HR feed, backdated"


@pytest.mark.requirement("T2")
def test_an_overlapping_interval_of_the_same_function_is_refused(
    at_march, coordinator, person, operator_function
):
    services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=FEB
    )
    before = audit_count()
    for start in (JAN, FEB, APR):
        with pytest.raises(ValidationError, match="overlap"):
            services.job_assignment_start(
                actor=coordinator, person=person, job_function=operator_function, valid_from=start
            )
    assert JobAssignment.objects.count() == 1
    assert audit_count() == before


@pytest.mark.requirement("T2")
def test_after_an_end_the_same_function_can_start_again_at_the_end(
    at_march, coordinator, person, operator_function
):
    first = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=JAN
    )
    services.job_assignment_end(actor=coordinator, assignment=first, valid_to=FEB, reason="Moved")
    with pytest.raises(ValidationError, match="overlap"):
        services.job_assignment_start(
            actor=coordinator,
            person=person,
            job_function=operator_function,
            valid_from=FEB - dt.timedelta(seconds=1),
        )
    services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=FEB
    )
    assert person.job_assignments.count() == 2


def test_a_naive_start_is_refused(coordinator, person, operator_function):
    with pytest.raises(ValidationError, match="time zone"):
        services.job_assignment_start(
            actor=coordinator,
            person=person,
            job_function=operator_function,
            valid_from=dt.datetime(2026, 1, 1),
        )
    assert not JobAssignment.objects.exists()


@pytest.mark.requirement("T2", "A1")
def test_ending_sets_the_end_and_when_it_was_recorded_and_fires_once(
    at_march, coordinator, person, operator_function
):
    assignment = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=JAN
    )
    fired = []
    events.job_assignment_ended.connect(lambda **kw: fired.append(kw["reason"]))
    services.job_assignment_end(
        actor=coordinator, assignment=assignment, valid_to=APR, reason="Transfer"
    )
    assignment.refresh_from_db()
    assert (assignment.valid_to, assignment.end_recorded_at) == (APR, MAR)
    assert fired == ["Transfer"]
    event = audit_events(assignment)[-1]
    assert event.action == "org.job_assignment.ended"
    assert event.changes["valid_to"][0] is None
    assert event.reason == "Transfer"


@pytest.mark.parametrize(
    ("valid_to", "reason", "field"),
    [
        (JAN, "Moved", "valid_to"),
        (JAN - dt.timedelta(days=1), "Moved", "valid_to"),
        (APR, "", "reason"),
    ],
)
def test_an_end_not_after_the_start_or_without_reason_is_refused(
    at_march, coordinator, person, operator_function, valid_to, reason, field
):
    assignment = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=JAN
    )
    before = audit_count()
    with pytest.raises(ValidationError) as refused:
        services.job_assignment_end(
            actor=coordinator, assignment=assignment, valid_to=valid_to, reason=reason
        )
    assert field in refused.value.message_dict
    assignment.refresh_from_db()
    assert assignment.valid_to is None
    assert audit_count() == before


@pytest.mark.requirement("U2")
def test_an_employee_cannot_assign_job_functions(at_march, employee, person, operator_function):
    with pytest.raises(PermissionDenied):
        services.job_assignment_start(
            actor=employee, person=person, job_function=operator_function, valid_from=JAN
        )


@pytest.mark.requirement("T2", "Q5")
def test_job_functions_held_uses_half_open_intervals(coordinator, person, operator_function):
    with time_machine.travel(MAR, tick=False):
        assignment = services.job_assignment_start(
            actor=coordinator, person=person, job_function=operator_function, valid_from=JAN
        )
        services.job_assignment_end(
            actor=coordinator, assignment=assignment, valid_to=FEB, reason="Moved"
        )
    held = lambda at: list(queries.job_functions_held(person, at=at))  # noqa: E731
    assert held(JAN - dt.timedelta(microseconds=1)) == []
    assert held(JAN) == [operator_function]
    assert held(FEB - dt.timedelta(microseconds=1)) == [operator_function]
    assert held(FEB) == []
    assert list(queries.holders_of(operator_function, at=JAN)) == [person]


@pytest.mark.requirement("Q7")
def test_as_known_at_ignores_a_start_and_an_end_recorded_later(
    coordinator, person, operator_function
):
    with time_machine.travel(FEB, tick=False):
        assignment = services.job_assignment_start(
            actor=coordinator, person=person, job_function=operator_function, valid_from=JAN
        )
    with time_machine.travel(APR, tick=False):
        services.job_assignment_end(
            actor=coordinator, assignment=assignment, valid_to=MAR, reason="Backdated end"
        )
    in_march = MAR + dt.timedelta(days=1)
    # Known now: ended at MAR.
    assert not queries.job_functions_held(person, at=in_march).exists()
    # As known on MAR 15: the end had not been recorded, so still held.
    assert list(
        queries.job_functions_held(
            person, at=in_march, as_known_at=in_march + dt.timedelta(days=14)
        )
    ) == [operator_function]
    # As known in mid-January: the (backdated) start had not been recorded either.
    assert not queries.job_functions_held(
        person, at=utc(2026, 1, 15), as_known_at=utc(2026, 1, 15)
    ).exists()


def test_holders_of_leaves_out_deactivated_people(coordinator, person, operator_function):
    with time_machine.travel(MAR, tick=False):
        services.job_assignment_start(
            actor=coordinator, person=person, job_function=operator_function, valid_from=JAN
        )
    assert list(queries.holders_of(operator_function, at=FEB)) == [person]
    services.person_deactivate(actor=coordinator, person=person, reason="Left")
    assert not queries.holders_of(operator_function, at=FEB).exists()
