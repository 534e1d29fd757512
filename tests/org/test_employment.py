"""People's employment interval: employed_from and left_at (when it took effect)
beside deactivated_at (when the system learnt it), for E5 and Q9 as known at K (Q7)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.org import services

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("E5")
def test_a_person_is_employed_from_their_creation_unless_told_otherwise(coordinator, site):
    before = timezone.now()
    person = services.person_create(
        actor=coordinator, employee_number="E1", full_name="Now Hired", site=site
    )
    assert before <= person.employed_from <= timezone.now()
    hired = dt.datetime(2024, 3, 1, 8, tzinfo=dt.UTC)
    earlier = services.person_create(
        actor=coordinator, employee_number="E2", full_name="Hired", site=site, employed_from=hired
    )
    assert earlier.employed_from == hired
    event = AuditEvent.objects.get(action="org.person.created", object_id=str(earlier.pk))
    assert event.changes["employed_from"][1].startswith("2024-03-01T08:00:00")


@pytest.mark.requirement("Q9", "Q7")
def test_a_leaving_reported_late_keeps_both_times_and_ends_the_jobs_when_it_took_effect(
    coordinator, person, operator_function
):
    start = timezone.now() - dt.timedelta(days=10)
    services.person_update(
        actor=coordinator, person=person, reason="Hired earlier", employed_from=start
    )
    held = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=start
    )
    left = timezone.now() - dt.timedelta(days=2)
    person = services.person_deactivate(
        actor=coordinator, person=person, reason="Resigned", left_at=left
    )
    held.refresh_from_db()
    assert person.left_at == left == held.valid_to
    assert person.deactivated_at > left  # when the system learnt it
    assert held.end_recorded_at == person.deactivated_at
    assert person.had_left(left)
    assert not person.had_left(left - dt.timedelta(seconds=1))
    # As known before the leaving was recorded, they had not left (Q7).
    assert not person.had_left(left, as_known_at=person.deactivated_at - dt.timedelta(seconds=1))
    assert person.had_left(left, as_known_at=person.deactivated_at)


@pytest.mark.requirement("E5")
@pytest.mark.parametrize(
    ("left", "message"),
    [
        (dt.timedelta(hours=1), "in the future"),
        (-dt.timedelta(days=400), "they cannot have left before"),
    ],
)
def test_a_leaving_time_in_the_future_or_before_the_employment_is_refused(
    coordinator, person, left, message
):
    with pytest.raises(ValidationError, match=message):
        services.person_deactivate(
            actor=coordinator, person=person, reason="Left", left_at=timezone.now() + left
        )
    person.refresh_from_db()
    assert person.active
    assert person.left_at is None
