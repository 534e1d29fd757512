import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qualify.org import events, queries, services
from qualify.org.models import Person
from tests.org.support import audit_count, audit_events


@pytest.mark.requirement("A1")
def test_creating_a_person_writes_an_audit_event_with_every_field(coordinator, person):
    (event,) = audit_events(person)
    assert event.action == "org.person.created"
    assert event.changes["employee_number"] == [None, "E100"]
    assert event.actor_username == coordinator.username


@pytest.mark.requirement("U2")
@pytest.mark.parametrize(
    "persona", ["employee", "trainer", "doc_controller", "qa", "auditor", "admin"]
)
def test_only_a_coordinator_creates_people(request, persona, site):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.person_create(actor=actor, employee_number="E9", full_name="No One", site=site)
    assert not Person.objects.exists()


@pytest.mark.requirement("A1")
def test_updating_a_person_needs_a_reason_and_records_the_changed_fields(coordinator, person):
    with pytest.raises(ValidationError) as refused:
        services.person_update(actor=coordinator, person=person, reason="  ", full_name="Ada B.")
    assert "reason" in refused.value.message_dict
    person.refresh_from_db()
    assert person.full_name == "Ada Byrne"

    services.person_update(
        actor=coordinator, person=person, reason="Name change (marriage)", full_name="Ada Kelly"
    )
    event = audit_events(person)[-1]
    assert event.action == "org.person.updated"
    assert event.changes == {"full_name": ["Ada Byrne", "Ada Kelly"]}
    assert event.reason == "Name change (marriage)"


def test_a_department_of_another_site_is_refused(admin, coordinator, person, site):
    other_site = services.site_create(actor=admin, code="CRK", name="Cork")
    department = services.department_create(actor=admin, site=other_site, code="QC", name="QC")
    with pytest.raises(ValidationError, match="another site"):
        services.person_update(
            actor=coordinator, person=person, reason="Moved", department=department
        )


def test_a_field_that_is_not_changeable_is_refused(coordinator, person):
    with pytest.raises(ValidationError, match="active"):
        services.person_update(actor=coordinator, person=person, reason="x", active=False)


@pytest.mark.requirement("G6", "A1")
def test_deactivating_a_person_ends_their_job_assignments_now_and_fires_the_hook_after(
    coordinator, person, operator_function, monkeypatch
):
    start = timezone.now() - timezone.timedelta(days=30)
    held = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=start
    )
    seen = []

    def handler(*, actor, person, reason):
        # Fired after the writes: the handler sees the person inactive and the end.
        seen.append((person.active, person.job_assignments.get().valid_to is not None, reason))

    events.person_deactivated.connect(handler)
    services.person_deactivate(actor=coordinator, person=person, reason="Left the company")

    person.refresh_from_db()
    held.refresh_from_db()
    assert not person.active
    assert person.deactivated_at is not None
    assert held.valid_to == person.deactivated_at == held.end_recorded_at
    assert seen == [(False, True, "Left the company")]
    assert audit_events(held)[-1].action == "org.job_assignment.ended"
    assert audit_events(person)[-1].changes["active"] == [True, False]
    assert not queries.holders_of(operator_function, at=timezone.now()).exists()


def test_a_future_job_assignment_of_a_deactivated_person_never_starts(
    coordinator, person, operator_function
):
    later = timezone.now() + timezone.timedelta(days=10)
    future = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=later
    )
    services.person_deactivate(actor=coordinator, person=person, reason="Offer withdrawn")
    future.refresh_from_db()
    assert future.valid_to == future.valid_from
    assert not queries.job_functions_held(person, at=later).exists()


def test_deactivating_needs_a_reason_and_happens_once(coordinator, person):
    before = audit_count()
    with pytest.raises(ValidationError):
        services.person_deactivate(actor=coordinator, person=person, reason="")
    assert audit_count() == before
    services.person_deactivate(actor=coordinator, person=person, reason="Left")
    with pytest.raises(ValidationError, match="already deactivated"):
        services.person_deactivate(actor=coordinator, person=person, reason="Left again")


def test_a_person_is_found_by_employee_number_or_user_id(coordinator, site, employee):
    linked = services.person_create(
        actor=coordinator, employee_number="E7", full_name="Emp Loyee", site=site, user=employee
    )
    assert queries.person_by_key("E7") == linked
    assert queries.person_by_key(employee.username) == linked
    assert queries.person_by_key("nobody") is None
