"""Organisation structure over time: sites, departments, clients, frameworks and job
functions are created, renamed and retired, never deleted; people change job
(effective-dated, T2), get a manager and are linked to one login at most. Every
change is audited with its reason (A1); bad input is refused on the field (P16)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qualify.org import services
from qualify.org.models import Department, JobAssignment, JobFunction, Person, Site
from tests.org.support import audit_count, audit_events
from tests.personas import make_user

# --- sites ----------------------------------------------------------------------


@pytest.mark.requirement("A1")
def test_renaming_a_site_is_audited_with_old_and_new_name_and_reason(admin, site):
    services.site_update(
        actor=admin, site=site, reason="Plant renamed after merger", name="Dublin North"
    )
    event = audit_events(site)[-1]
    assert event.action == "org.site.updated"
    assert event.changes["name"] == ["Dublin plant", "Dublin North"]
    assert event.reason == "Plant renamed after merger"


@pytest.mark.requirement("A1")
def test_a_site_change_without_a_reason_is_refused_and_changes_nothing(admin, site):
    before = audit_count()
    with pytest.raises(ValidationError) as refused:
        services.site_update(actor=admin, site=site, reason=" ", name="Elsewhere")
    assert "reason" in refused.value.message_dict
    site.refresh_from_db()
    assert site.name == "Dublin plant"
    assert audit_count() == before


@pytest.mark.requirement("P16", "T3")
@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "CET+1"])
def test_a_site_without_a_valid_time_zone_is_refused_on_the_field(admin, zone):
    with pytest.raises(ValidationError) as refused:
        services.site_create(actor=admin, code="X1", name="Somewhere", time_zone=zone)
    assert "time_zone" in refused.value.message_dict
    assert not Site.objects.filter(code="X1").exists()


@pytest.mark.requirement("P16")
def test_changing_a_site_to_an_unknown_time_zone_is_refused(admin, site):
    with pytest.raises(ValidationError) as refused:
        services.site_update(actor=admin, site=site, reason="Move", time_zone="Europe/Atlantis")
    assert "time_zone" in refused.value.message_dict
    site.refresh_from_db()
    assert site.time_zone == "Europe/Dublin"


@pytest.mark.requirement("E1", "T1")
def test_the_gate_policy_and_late_entry_hours_of_a_site_can_be_changed(admin, site):
    services.site_update(
        actor=admin,
        site=site,
        reason="QA decision 12",
        gate_policy="deviation",
        late_entry_hours=24,
    )
    site.refresh_from_db()
    assert (site.gate_policy, site.late_entry_hours) == ("deviation", 24)
    assert audit_events(site)[-1].changes["gate_policy"] == ["refuse", "deviation"]


@pytest.mark.requirement("U2")
@pytest.mark.parametrize("persona", ["employee", "coordinator", "qa", "auditor"])
def test_only_an_administrator_changes_or_retires_sites(request, persona, site):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.site_update(actor=actor, site=site, reason="x", name="Other")
    with pytest.raises(PermissionDenied):
        services.site_retire(actor=actor, site=site, reason="x")
    site.refresh_from_db()
    assert site.active
    assert site.name == "Dublin plant"


# --- duplicate codes, whatever their case -----------------------------------------


@pytest.mark.requirement("P16")
def test_a_site_code_is_unique_whatever_its_case(admin, site):
    with pytest.raises(ValidationError) as refused:
        services.site_create(actor=admin, code="dub", name="Again", time_zone="UTC")
    assert "DUB" in refused.value.message_dict["code"][0]
    assert Site.objects.count() == 1


@pytest.mark.requirement("P16")
def test_a_client_code_is_unique_whatever_its_case(admin, client_a):
    with pytest.raises(ValidationError) as refused:
        services.client_create(actor=admin, code="acme", name="Acme again")
    assert "code" in refused.value.message_dict


@pytest.mark.requirement("P16")
def test_a_department_code_is_unique_per_site_whatever_its_case(admin, site):
    services.department_create(actor=admin, site=site, code="QC", name="Quality control")
    with pytest.raises(ValidationError) as refused:
        services.department_create(actor=admin, site=site, code="qc", name="QC again")
    assert "code" in refused.value.message_dict
    other = services.site_create(actor=admin, code="CRK", name="Cork", time_zone="Europe/Dublin")
    services.department_create(actor=admin, site=other, code="qc", name="Quality control")
    assert Department.objects.count() == 2


@pytest.mark.requirement("P16")
def test_a_job_function_code_is_unique_whatever_its_case(coordinator, operator_function):
    with pytest.raises(ValidationError) as refused:
        services.job_function_create(actor=coordinator, code="op-fill", name="Again")
    assert "code" in refused.value.message_dict
    assert JobFunction.objects.count() == 1


@pytest.mark.requirement("P16")
def test_an_employee_number_is_unique_whatever_its_case(coordinator, site, person):
    with pytest.raises(ValidationError) as refused:
        services.person_create(actor=coordinator, employee_number="e100", full_name="X", site=site)
    assert "employee_number" in refused.value.message_dict
    assert Person.objects.count() == 1


@pytest.mark.requirement("P16")
def test_the_database_refuses_a_code_differing_only_in_case(db, site):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.create(code="dub", name="Behind the services' back")


@pytest.mark.requirement("P16")
def test_a_retired_code_is_not_reused(admin, client_a):
    services.client_retire(actor=admin, client=client_a, reason="Contract ended")
    with pytest.raises(ValidationError) as refused:
        services.client_create(actor=admin, code="ACME", name="New Acme")
    assert "retired" in refused.value.message_dict["code"][0]


# --- retiring, never deleting --------------------------------------------------------


@pytest.mark.requirement("A1", "P16")
def test_retiring_a_site_still_in_use_is_refused_naming_what_uses_it(admin, site, person):
    with pytest.raises(ValidationError) as refused:
        services.site_retire(actor=admin, site=site, reason="Closed")
    assert "1 person" in refused.value.messages[0]
    site.refresh_from_db()
    assert site.active


@pytest.mark.requirement("A1")
def test_retiring_an_unused_site_keeps_it_with_the_time_and_reason(admin):
    site = services.site_create(actor=admin, code="OLD", name="Old plant", time_zone="UTC")
    services.site_retire(actor=admin, site=site, reason="Plant sold")
    site.refresh_from_db()
    assert not site.active
    assert site.retired_at is not None
    event = audit_events(site)[-1]
    assert (event.action, event.reason) == ("org.site.retired", "Plant sold")
    assert event.changes["active"] == [True, False]


@pytest.mark.requirement("P16")
def test_a_retired_site_is_not_offered_for_new_departments_or_people(admin, coordinator):
    site = services.site_create(actor=admin, code="OLD", name="Old plant", time_zone="UTC")
    services.site_retire(actor=admin, site=site, reason="Plant sold")
    with pytest.raises(ValidationError) as refused:
        services.department_create(actor=admin, site=site, code="QA", name="QA")
    assert "site" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.person_create(actor=coordinator, employee_number="E7", full_name="N", site=site)
    assert "site" in refused.value.message_dict


@pytest.mark.requirement("T2", "P16")
def test_a_job_function_held_now_cannot_be_retired_until_its_holders_leave_it(
    coordinator, person, operator_function
):
    start = timezone.now() - dt.timedelta(days=10)
    held = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=start
    )
    with pytest.raises(ValidationError) as refused:
        services.job_function_retire(
            actor=coordinator, job_function=operator_function, reason="Line closed"
        )
    assert "1 job assignment" in refused.value.messages[0]
    services.job_assignment_end(
        actor=coordinator, assignment=held, valid_to=timezone.now(), reason="Line closed"
    )
    services.job_function_retire(
        actor=coordinator, job_function=operator_function, reason="Line closed"
    )
    operator_function.refresh_from_db()
    assert not operator_function.active
    assert JobAssignment.objects.filter(pk=held.pk).exists()  # history stays


@pytest.mark.requirement("P16")
def test_a_framework_tagging_a_job_function_cannot_be_retired(admin, coordinator):
    gmp = services.framework_ensure(actor=admin, code="GMP")
    services.job_function_create(actor=coordinator, code="QC-AN", name="Analyst", frameworks=[gmp])
    with pytest.raises(ValidationError) as refused:
        services.framework_retire(actor=admin, framework=gmp, reason="Not used")
    assert "1 job function" in refused.value.messages[0]
    gmp.refresh_from_db()
    assert gmp.active


@pytest.mark.requirement("U2")
def test_a_client_with_users_restricted_to_it_cannot_be_retired(admin, client_a):
    user = make_user("sponsor_qa", "qa_approver")
    services.client_access_grant(actor=admin, user=user, client=client_a, reason="Sponsor QA")
    with pytest.raises(ValidationError) as refused:
        services.client_retire(actor=admin, client=client_a, reason="Contract ended")
    assert "1 user restricted to it" in refused.value.messages[0]


@pytest.mark.requirement("A1")
def test_renaming_a_framework_is_audited_with_the_old_and_new_name(admin):
    gmp = services.framework_ensure(actor=admin, code="GMP")
    services.framework_update(actor=admin, framework=gmp, reason="EU wording", name="EU GMP")
    from qualify.audit.models import AuditEvent

    event = AuditEvent.objects.filter(action="org.framework.updated").get()
    assert event.reason == "EU wording"
    assert event.data["detail"]["name"] == ["Good Manufacturing Practice", "EU GMP"]


# --- people: change of job, manager, one login ------------------------------------------


@pytest.mark.requirement("T2", "A1")
def test_a_job_change_ends_the_old_assignment_where_the_new_one_starts(
    coordinator, person, operator_function
):
    start = timezone.now() - dt.timedelta(days=30)
    old = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=start
    )
    lead = services.job_function_create(actor=coordinator, code="LEAD", name="Shift lead")
    when = timezone.now() - dt.timedelta(days=1)
    new = services.person_change_job(
        actor=coordinator,
        person=person,
        ending=old,
        job_function=lead,
        effective=when,
        reason="Promoted",
    )
    old.refresh_from_db()
    assert old.valid_to == when == new.valid_from  # [from, to) meet without a gap
    assert new.job_function == lead
    assert new.reason == "Promoted"
    assert audit_events(old)[-1].reason == "Promoted"
    assert audit_events(new)[-1].action == "org.job_assignment.started"


@pytest.mark.requirement("T2", "P16")
def test_a_job_change_ending_before_the_old_assignment_began_changes_nothing(
    coordinator, person, operator_function
):
    start = timezone.now() - dt.timedelta(days=5)
    old = services.job_assignment_start(
        actor=coordinator, person=person, job_function=operator_function, valid_from=start
    )
    lead = services.job_function_create(actor=coordinator, code="LEAD", name="Shift lead")
    before = audit_count()
    with pytest.raises(ValidationError) as refused:
        services.person_change_job(
            actor=coordinator,
            person=person,
            ending=old,
            job_function=lead,
            effective=start - dt.timedelta(days=1),
            reason="Promoted",
        )
    assert "after the start" in refused.value.message_dict["effective"][0]
    old.refresh_from_db()
    assert old.valid_to is None
    assert not JobAssignment.objects.filter(job_function=lead).exists()
    assert audit_count() == before


@pytest.mark.requirement("U2")
def test_only_people_managers_change_jobs(admin, person, operator_function):
    with pytest.raises(PermissionDenied):
        services.person_change_job(
            actor=admin,
            person=person,
            job_function=operator_function,
            effective=timezone.now(),
            reason="x",
        )


@pytest.mark.requirement("P16")
def test_a_login_is_linked_to_one_person_at_most(coordinator, site, person):
    login = make_user("ada", "employee")
    services.person_update(actor=coordinator, person=person, reason="Account made", user=login)
    with pytest.raises(ValidationError) as refused:
        services.person_create(
            actor=coordinator, employee_number="E200", full_name="Bob", site=site, user=login
        )
    assert "already linked to Ada Byrne" in refused.value.message_dict["user"][0]


@pytest.mark.requirement("A1", "P16")
def test_a_manager_is_set_with_a_reason_and_a_cycle_is_refused(coordinator, site, person):
    boss = services.person_create(
        actor=coordinator, employee_number="E1", full_name="Boss", site=site
    )
    services.person_set_manager(actor=coordinator, person=person, manager=boss, reason="Org chart")
    person.refresh_from_db()
    assert person.manager == boss
    assert audit_events(person)[-1].reason == "Org chart"
    with pytest.raises(ValidationError) as refused:
        services.person_set_manager(actor=coordinator, person=boss, manager=person, reason="Swap")
    assert "manager" in refused.value.message_dict
    boss.refresh_from_db()
    assert boss.manager is None
