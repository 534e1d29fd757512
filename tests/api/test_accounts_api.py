"""Accounts through the API (U1, U3, U4, A1, A5): administrators only, every change
through the same services as the pages, field-level errors in problem details."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from qualify.accounts.models import User
from qualify.audit.models import AuditEvent
from qualify.org import services as org
from tests.accounts.onboarding_support import STRONG, last_link, uid_token

USERS = "/api/v1/users/"


@pytest.fixture
def site(admin):
    return org.site_create(actor=admin, code="CORK", name="Cork", time_zone="Europe/Dublin")


@pytest.fixture
def jane(coordinator, site):
    return org.person_create(
        actor=coordinator,
        employee_number="E1001",
        full_name="Jane Roe",
        site=site,
        email="jane.roe@plant.example",
    )


def session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.requirement("U4", "A1")
def test_an_administrator_creates_an_account_for_a_person(
    admin, jane, settings, django_capture_on_commit_callbacks
):
    settings.ROOT_URLCONF = "qualify.urls"  # the mailed link names the page
    with django_capture_on_commit_callbacks(execute=True):
        response = session(admin).post(
            USERS, {"username": "jroe", "employee_number": "E1001"}, format="json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "jroe"
    assert body["employee_number"] == "E1001"
    assert body["printed_name"] == "Jane Roe"
    assert body["roles"] == ["employee"]
    assert body["password_set"] is False
    assert body["may_sign"] is False
    from qualify.accounts import links

    _, token = uid_token(last_link("jane.roe@plant.example"))
    assert links.link_problem(User.objects.get(username="jroe"), token) is None


@pytest.mark.requirement("U1", "U4")
def test_duplicate_user_ids_and_second_logins_are_field_errors(admin, jane, employee):
    client = session(admin)
    taken = client.post(
        USERS,
        {"username": "Employee", "printed_name": "Em Two", "email": "e@plant.example"},
        format="json",
    )
    assert taken.status_code == 400
    assert "username" in taken.json()["errors"]
    first = client.post(USERS, {"username": "jroe", "employee_number": "E1001"}, format="json")
    assert first.status_code == 201
    second = client.post(USERS, {"username": "jroe2", "employee_number": "E1001"}, format="json")
    assert second.status_code == 400
    assert "at most one login" in " ".join(second.json()["errors"]["person"])
    unknown = client.post(USERS, {"username": "x1", "employee_number": "E404"}, format="json")
    assert unknown.status_code == 400
    assert "employee_number" in unknown.json()["errors"]
    assert not User.objects.filter(username__in=["jroe2", "x1"]).exists()


@pytest.mark.requirement("U2", "A5")
@pytest.mark.parametrize("persona", ["employee", "coordinator", "qa", "auditor"])
def test_only_an_administrator_manages_accounts_and_refusals_are_audited(
    request, persona, employee
):
    user = request.getfixturevalue(persona)
    client = session(user)
    assert client.get(USERS).status_code == 403
    refused = client.post(f"{USERS}{employee.pk}/lock/", {"reason": "x"}, format="json")
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor_id=user.pk).exists()
    employee.refresh_from_db()
    assert not employee.is_locked


@pytest.mark.requirement("U4", "A1")
def test_lock_unlock_and_reset_need_a_reason(admin, employee):
    client = session(admin)
    url = f"{USERS}{employee.pk}"
    assert client.post(f"{url}/lock/", {}, format="json").status_code == 400
    locked = client.post(f"{url}/lock/", {"reason": "Badge reported stolen"}, format="json")
    assert locked.status_code == 200
    assert locked.json()["is_locked"] is True
    unlocked = client.post(f"{url}/unlock/", {"reason": "Badge found"}, format="json")
    assert unlocked.json()["is_locked"] is False
    reset = client.post(f"{url}/password-reset/", {"reason": "Forgot it"}, format="json")
    assert reset.status_code == 200
    assert reset.json()["password_set"] is False
    reasons = {e.action: e.reason for e in AuditEvent.objects.filter(object_id=str(employee.pk))}
    assert reasons["account.locked.by_administrator"] == "Badge reported stolen"
    assert reasons["account.password.reset"] == "Forgot it"


@pytest.mark.requirement("U3")
def test_an_administrator_cannot_lock_their_own_account(admin):
    response = session(admin).post(f"{USERS}{admin.pk}/lock/", {"reason": "x"}, format="json")
    assert response.status_code == 400
    admin.refresh_from_db()
    assert not admin.is_locked


@pytest.mark.requirement("U1")
def test_identity_verification_is_recorded_with_how(admin, employee):
    User.objects.filter(pk=employee.pk).update(identity_verified_at=None)
    response = session(admin).post(
        f"{USERS}{employee.pk}/identity/", {"reason": "Passport checked by HR"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["identity_verified_at"] is not None


@pytest.mark.requirement("U4")
def test_accounts_for_the_hr_feed_by_policy(admin, jane, coordinator, site):
    org.person_create(actor=coordinator, employee_number="E1002", full_name="No Mail", site=site)
    client = session(admin)
    dry = client.post(f"{USERS}onboard/", {"dry_run": True}, format="json").json()
    assert dry["created"] == [{"employee_number": "E1001", "username": "e1001"}]
    assert dry["refused"][0]["employee_number"] == "E1002"
    assert not User.objects.filter(username="e1001").exists()
    done = client.post(f"{USERS}onboard/", {"policy": "employee_number"}, format="json").json()
    assert done["created"] == [{"employee_number": "E1001", "username": "e1001"}]
    assert User.objects.get(username="e1001").person.employee_number == "E1001"
    assert mail.outbox == []  # sent after commit, not inside the request's transaction


@pytest.mark.requirement("U4")
def test_a_link_set_password_is_usable_once(admin, employee, settings):
    # The API resets; the person uses the page: the same one-time link.
    from qualify.accounts import links

    session(admin).post(f"{USERS}{employee.pk}/password-reset/", {"reason": "x"}, format="json")
    employee.refresh_from_db()
    token = links.tokens.make_token(employee)
    links.password_set_with_link(uid=links.uid_of(employee), token=token, password=STRONG)
    employee.refresh_from_db()
    assert links.link_problem(employee, token) == links.USED
