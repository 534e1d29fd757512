"""U3: segregation of administration. An administrator cannot change their own roles
or client access; the administrator role is not held with a role that creates,
approves or signs GxP records unless a QA approver signs an exception with a reason;
every role or client-access change has a reason and its old and new values in the
audit trail; refusals are audited (A5)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.accounts import roles
from qualify.accounts.models import RoleException
from qualify.accounts.services import (
    role_exception_create,
    role_exception_end,
    user_create,
    user_set_roles,
)
from qualify.audit.models import AuditEvent
from qualify.org import services as org
from qualify.org.access import role_exception_grant
from qualify.signatures.services import Credentials, SignatureRefused, signatures_of
from tests.accounts.helpers import events
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SIGNING = [
    roles.EMPLOYEE,
    roles.TRAINER,
    roles.COORDINATOR,
    roles.DOCUMENT_CONTROLLER,
    roles.QA_APPROVER,
]


def creds(user, password=PASSWORD):
    return Credentials(username=user.username, password=password)


@pytest.fixture
def other_admin(db):
    return make_user("admin2", roles.ADMINISTRATOR)


def held(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


@pytest.mark.requirement("U2", "U3")
def test_every_role_that_signs_gxp_records_is_a_signing_role():
    assert roles.signing_roles() == set(SIGNING)
    assert roles.segregation_conflicts([roles.ADMINISTRATOR, roles.AUDITOR]) == []
    assert roles.segregation_conflicts([roles.QA_APPROVER, roles.TRAINER]) == []


@pytest.mark.requirement("U3", "A5")
def test_an_administrator_cannot_grant_roles_to_their_own_account(admin, other_admin):
    with pytest.raises(ValidationError) as refused:
        user_set_roles(
            actor=admin, user=admin, roles=[roles.ADMINISTRATOR, roles.AUDITOR], reason="audit"
        )
    assert "own roles" in refused.value.message_dict["roles"][0]
    admin.refresh_from_db()
    assert held(admin) == {roles.ADMINISTRATOR}
    [refusal] = events("account.roles.refused", admin)
    assert refusal.actor_username == "admin"
    assert "own roles" in refusal.data["detail"]["why"]
    assert not events("account.roles.changed", admin)
    # Another administrator may change them.
    user_set_roles(
        actor=other_admin,
        user=admin,
        roles=[roles.ADMINISTRATOR, roles.AUDITOR],
        reason="Also reads the trail",
    )
    assert held(admin) == {roles.ADMINISTRATOR, roles.AUDITOR}


@pytest.mark.requirement("U3", "A5")
@pytest.mark.parametrize("gxp_role", SIGNING)
def test_the_administrator_role_is_refused_beside_a_signing_role(admin, employee, gxp_role):
    with pytest.raises(ValidationError) as refused:
        user_set_roles(
            actor=admin,
            user=employee,
            roles=[roles.ADMINISTRATOR, gxp_role],
            reason="Covers for the admin on holiday",
        )
    message = refused.value.message_dict["roles"][0]
    assert "QA approver must first sign an exception" in message
    assert roles.ROLES[gxp_role] in message
    assert held(employee) == {roles.EMPLOYEE}
    [refusal] = events("account.roles.refused", employee)
    assert refusal.data["detail"]["requested_roles"] == sorted([roles.ADMINISTRATOR, gxp_role])


@pytest.mark.requirement("U3", "A5")
def test_a_new_account_cannot_combine_administrator_and_a_signing_role(admin):
    with pytest.raises(ValidationError) as refused:
        user_create(
            actor=admin,
            username="jroe",
            printed_name="Jane Roe",
            roles=[roles.ADMINISTRATOR, roles.QA_APPROVER],
        )
    assert "roles" in refused.value.message_dict
    [refusal] = AuditEvent.objects.filter(action="account.roles.refused")
    assert refusal.object_id == "new:jroe"
    assert (
        not AuditEvent.objects.filter(action="account.created")
        .exclude(object_id__in=[str(admin.pk)])
        .filter(entry__contains="jroe")
    )


@pytest.mark.requirement("U3", "S2")
def test_a_qa_signed_exception_allows_exactly_the_roles_it_names(admin, other_admin, qa):
    person = make_user("lab_it", roles.EMPLOYEE)
    exception = role_exception_grant(
        actor=admin,
        user=person,
        roles=[roles.EMPLOYEE],
        reason="Single-person lab site: the IT lead also signs own training",
        qa_actor=qa,
        qa_credentials=creds(qa),
    )
    [signature] = signatures_of(exception)
    assert signature.signer == qa
    assert signature.meaning == "approved"
    assert exception.approved_by == qa
    assert exception.requested_by == admin
    assert events("account.role_exception.granted") != []
    user_set_roles(
        actor=admin,
        user=person,
        roles=[roles.ADMINISTRATOR, roles.EMPLOYEE],
        reason="Local administrator at the lab site",
    )
    assert held(person) == {roles.ADMINISTRATOR, roles.EMPLOYEE}
    [changed] = events("account.roles.changed", person)
    assert changed.data["detail"]["role_exception"] == exception.pk
    # The exception covers the employee role only, not QA approval.
    with pytest.raises(ValidationError):
        user_set_roles(
            actor=other_admin,
            user=person,
            roles=[roles.ADMINISTRATOR, roles.EMPLOYEE, roles.QA_APPROVER],
            reason="More",
        )
    assert held(person) == {roles.ADMINISTRATOR, roles.EMPLOYEE}


@pytest.mark.requirement("U3")
def test_an_ended_exception_no_longer_allows_the_combination(admin, qa):
    person = make_user("lab_it", roles.EMPLOYEE)
    exception = role_exception_grant(
        actor=admin,
        user=person,
        roles=[roles.EMPLOYEE],
        reason="Temporary cover",
        qa_actor=qa,
        qa_credentials=creds(qa),
    )
    user_set_roles(
        actor=admin, user=person, roles=[roles.ADMINISTRATOR, roles.EMPLOYEE], reason="Cover"
    )
    # Not while the combination is still held.
    with pytest.raises(ValidationError):
        role_exception_end(actor=admin, exception=exception, reason="Cover over")
    user_set_roles(actor=admin, user=person, roles=[roles.EMPLOYEE], reason="Cover over")
    role_exception_end(actor=admin, exception=exception, reason="Cover over")
    exception.refresh_from_db()
    assert exception.ended_at is not None
    assert exception.ended_by == admin
    with pytest.raises(ValidationError):
        user_set_roles(
            actor=admin, user=person, roles=[roles.ADMINISTRATOR, roles.EMPLOYEE], reason="Again"
        )
    # The signature still verifies: ending does not change what QA signed.
    [signature] = signatures_of(exception)
    from qualify.signatures.services import content_hash

    assert signature.content_hash == content_hash(exception)


@pytest.mark.requirement("U3", "S2")
def test_only_a_qa_approver_other_than_the_requester_signs_an_exception(admin, coordinator, qa):
    person = make_user("lab_it", roles.EMPLOYEE)
    with pytest.raises(ValidationError) as not_qa:
        role_exception_grant(
            actor=admin,
            user=person,
            roles=[roles.EMPLOYEE],
            reason="r",
            qa_actor=coordinator,
            qa_credentials=creds(coordinator),
        )
    assert "Only a QA approver" in not_qa.value.message_dict["qa_username"][0]
    with pytest.raises(SignatureRefused):
        role_exception_grant(
            actor=admin,
            user=person,
            roles=[roles.EMPLOYEE],
            reason="r",
            qa_actor=qa,
            qa_credentials=creds(qa, "wrong password"),
        )
    with pytest.raises(ValidationError) as own:
        role_exception_grant(
            actor=admin,
            user=qa,
            roles=[roles.QA_APPROVER],
            reason="r",
            qa_actor=qa,
            qa_credentials=creds(qa),
        )
    assert "neither the requester nor the account" in own.value.message_dict["qa_username"][0]
    assert not RoleException.objects.exists()


@pytest.mark.requirement("U3")
def test_an_exception_names_only_signing_roles_and_needs_a_reason(admin, qa):
    person = make_user("lab_it", roles.EMPLOYEE)
    with pytest.raises(ValidationError) as no_reason:
        role_exception_grant(
            actor=admin,
            user=person,
            roles=[roles.EMPLOYEE],
            reason="  ",
            qa_actor=qa,
            qa_credentials=creds(qa),
        )
    assert "reason" in no_reason.value.message_dict
    from django.db import transaction

    with pytest.raises(ValidationError) as auditor_role, transaction.atomic():
        role_exception_create(
            actor=admin, user=person, roles=[roles.AUDITOR], reason="r", approved_by=qa
        )
    assert "roles" in auditor_role.value.message_dict


@pytest.mark.requirement("U2")
def test_only_an_administrator_asks_for_an_exception(coordinator, qa):
    person = make_user("lab_it", roles.EMPLOYEE)
    with pytest.raises(PermissionDenied):
        role_exception_grant(
            actor=coordinator,
            user=person,
            roles=[roles.EMPLOYEE],
            reason="r",
            qa_actor=qa,
            qa_credentials=creds(qa),
        )
    assert not RoleException.objects.exists()


@pytest.fixture
def acme(admin):
    return org.client_create(actor=admin, code="ACME", name="Acme Pharma")


@pytest.mark.requirement("U3", "A5")
def test_an_administrator_cannot_change_their_own_client_access(admin, acme):
    with pytest.raises(ValidationError) as refused:
        org.client_access_grant(actor=admin, user=admin, client=acme, reason="Acme audit")
    assert "own client access" in refused.value.message_dict["client"][0]
    assert not admin.client_access.exists()
    [refusal] = events("org.client_access.refused", admin)
    assert refusal.data["detail"]["client"] == "ACME"


@pytest.mark.requirement("U3", "A1")
def test_a_client_access_change_needs_a_reason_and_keeps_old_and_new_clients(admin, employee, acme):
    other = org.client_create(actor=admin, code="NVX", name="Novexa")
    with pytest.raises(ValidationError) as refused:
        org.client_access_grant(actor=admin, user=employee, client=acme, reason=" ")
    assert "reason" in refused.value.message_dict
    assert not employee.client_access.exists()
    org.client_access_grant(actor=admin, user=employee, client=acme, reason="Acme project")
    org.client_access_grant(actor=admin, user=employee, client=other, reason="Novexa project")
    org.client_access_revoke(actor=admin, user=employee, client=acme, reason="Acme ended")
    granted = events("org.client_access.granted", employee)
    assert [e.data["detail"]["clients"] for e in granted] == [
        [[], ["ACME"]],
        [["ACME"], ["ACME", "NVX"]],
    ]
    assert [e.reason for e in granted] == ["Acme project", "Novexa project"]
    [revoked] = events("org.client_access.revoked", employee)
    assert revoked.data["detail"]["clients"] == [["ACME", "NVX"], ["NVX"]]
    assert revoked.reason == "Acme ended"
