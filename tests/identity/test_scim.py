"""SCIM 2.0 provisioning driven as Microsoft Entra ID and Okta drive it: create,
filter `userName eq`, PATCH active=false (Entra sends the text "False"), group
membership, pagination, bulk; deprovisioning deactivates and ends employment; a
PATCH that would delete is refused; every change audited with the client as actor."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.accounts.models import User
from qualify.audit.models import AuditEvent
from qualify.identity.models import ExternalIdentity
from qualify.identity.scim.services import EMPLOYMENT, ENTERPRISE, client_create
from qualify.org import services as org
from qualify.org.models import Person

pytestmark = pytest.mark.django_db

CT = "application/scim+json"


@pytest.fixture
def site(admin):
    return org.site_create(actor=admin, code="CORK", name="Cork fill-finish")


@pytest.fixture
def entra(site):
    client, raw = client_create(name="entra")
    return client, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _post(client, url, body, auth):
    return client.post(url, json.dumps(body), content_type=CT, **auth)


def _patch(client, url, body, auth):
    return client.patch(url, json.dumps(body), content_type=CT, **auth)


def _entra_user(name="olivia.ortega", number="E1001"):
    """The body Entra ID sends to create a user (its default attribute mappings)."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": f"0f8c-{name}",
        "userName": name,
        "active": True,
        "displayName": name.replace(".", " ").title(),
        "emails": [{"primary": True, "type": "work", "value": f"{name}@plant.example"}],
        "name": {"givenName": "Olivia", "familyName": "Ortega"},
        ENTERPRISE: {"employeeNumber": number, "organization": "CORK"},
    }


@pytest.mark.requirement("P56")
def test_entra_creates_finds_and_deprovisions_a_user(client, entra, admin):
    """Create with the person behind the account; `userName eq` finds it; PATCH
    active "False" deactivates the account and ends the employment with the reason;
    nothing is deleted; the client's service account is the actor."""
    _scim, auth = entra
    created = _post(client, "/scim/v2/Users", _entra_user(), auth)
    assert created.status_code == 201, created.content
    body = created.json()
    user = User.objects.get(pk=int(body["id"]))
    person = Person.objects.get(user=user)
    assert person.employee_number == "E1001"
    assert ExternalIdentity.objects.get(user=user).subject == "0f8c-olivia.ortega"
    found = client.get('/scim/v2/Users?filter=userName eq "olivia.ortega"', **auth).json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == body["id"]
    none = client.get('/scim/v2/Users?filter=userName eq "nobody"', **auth).json()
    assert none["totalResults"] == 0
    # Entra ID's deprovisioning PATCH: "replace" without a path, active as text.
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    answer = _patch(client, f"/scim/v2/Users/{user.pk}", patch, auth)
    assert answer.status_code == 200, answer.content
    assert answer.json()["active"] is False
    user.refresh_from_db()
    person.refresh_from_db()
    assert not user.is_active
    assert user.deactivated_at is not None
    assert not person.active
    assert person.left_at is not None
    event = AuditEvent.objects.get(action="org.person.deactivated", object_id=str(person.pk))
    assert event.data["actor_username"] == "scim-entra"
    assert event.data["reason"] == "Deprovisioned by SCIM client entra"
    assert (
        AuditEvent.objects.get(action="account.deactivated").data["actor_username"] == "scim-entra"
    )
    assert User.objects.filter(pk=user.pk).exists()
    # The result shows on the administrator's pages.
    client.force_login(admin)
    page = client.get(reverse("web:admin_user", args=[user.pk])).content.decode()
    assert "olivia.ortega" in page
    assert "eactivated" in page


@pytest.mark.requirement("P56")
def test_okta_deprovisions_with_a_leaving_time_and_reason(client, entra):
    """Okta sends PATCH replace with a value object; the Qualify extension names when
    the employment ended and why."""
    _scim, auth = entra
    hired = (timezone.now() - dt.timedelta(days=400)).replace(microsecond=0)
    body = {**_entra_user("pat.lee", "E2002"), EMPLOYMENT: {"employedFrom": hired.isoformat()}}
    user_id = _post(client, "/scim/v2/Users", body, auth).json()["id"]
    left = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "replace",
                "value": {
                    "active": False,
                    EMPLOYMENT: {"leftAt": left.isoformat(), "reason": "Resigned"},
                },
            }
        ],
    }
    assert _patch(client, f"/scim/v2/Users/{user_id}", patch, auth).status_code == 200
    person = Person.objects.get(user_id=int(user_id))
    assert person.left_at == left
    event = AuditEvent.objects.get(action="org.person.deactivated", object_id=str(person.pk))
    assert event.data["reason"] == "Resigned"


@pytest.mark.requirement("P56")
def test_a_patch_that_would_delete_is_refused_and_audited(client, entra, caplog):
    _scim, auth = entra
    user_id = _post(client, "/scim/v2/Users", _entra_user(), auth).json()["id"]
    patch = {"Operations": [{"op": "remove", "path": "userName"}]}
    answer = _patch(client, f"/scim/v2/Users/{user_id}", patch, auth)
    assert answer.status_code == 400
    assert answer.json()["scimType"] == "mutability"
    assert "never deleted" in answer.json()["detail"]
    refused = AuditEvent.objects.get(action="identity.scim.refused")
    assert refused.data["actor_username"] == "scim-entra"
    assert "never deleted" in refused.data["detail"]["why"]
    assert "never deleted" in caplog.text
    assert User.objects.get(pk=int(user_id)).is_active


@pytest.mark.requirement("P56")
def test_delete_deprovisions_and_keeps_the_record(client, entra):
    _scim, auth = entra
    user_id = _post(client, "/scim/v2/Users", _entra_user(), auth).json()["id"]
    assert client.delete(f"/scim/v2/Users/{user_id}", **auth).status_code == 204
    kept = client.get(f"/scim/v2/Users/{user_id}", **auth).json()
    assert kept["active"] is False


@pytest.mark.requirement("P56", "U3")
def test_group_membership_sets_roles_under_the_least_privilege_rules(client, entra, admin):
    """Adding a member to the QA approver group grants the role (audited, the client
    as actor); adding an administrator to it is refused without a QA exception."""
    _scim, auth = entra
    user_id = _post(client, "/scim/v2/Users", _entra_user(), auth).json()["id"]
    groups = client.get('/scim/v2/Groups?filter=displayName eq "qa_approver"', **auth).json()
    group_id = groups["Resources"][0]["id"]
    add = {"Operations": [{"op": "Add", "path": "members", "value": [{"value": user_id}]}]}
    assert _patch(client, f"/scim/v2/Groups/{group_id}", add, auth).status_code == 200
    user = User.objects.get(pk=int(user_id))
    assert list(user.groups.values_list("name", flat=True)) == ["qa_approver"]
    changed = AuditEvent.objects.filter(action="account.roles.changed").last()
    assert changed.data["actor_username"] == "scim-entra"
    # Okta removes a member with a filtered path.
    remove = {"Operations": [{"op": "remove", "path": f'members[value eq "{user_id}"]'}]}
    assert _patch(client, f"/scim/v2/Groups/{group_id}", remove, auth).status_code == 200
    assert not user.groups.exists()
    refused = _patch(
        client,
        f"/scim/v2/Groups/{group_id}",
        {"Operations": [{"op": "add", "path": "members", "value": [{"value": str(admin.pk)}]}]},
        auth,
    )
    assert refused.status_code == 400
    assert "administrator role cannot be held together" in refused.json()["detail"]
    assert not admin.groups.filter(name="qa_approver").exists()


@pytest.mark.requirement("P56")
def test_a_group_naming_no_role_is_refused(client, entra):
    _scim, auth = entra
    answer = _post(client, "/scim/v2/Groups", {"displayName": "Everyone"}, auth)
    assert answer.status_code == 400
    assert "not a Qualify role" in answer.json()["detail"]
    assert AuditEvent.objects.filter(action="identity.scim.refused").exists()


@pytest.mark.requirement("P56")
def test_pagination_and_bulk(client, entra):
    """Bulk creates several users in one request (each as its own request would);
    the list answers pages by startIndex and count."""
    _scim, auth = entra
    operations = [
        {
            "method": "POST",
            "path": "/Users",
            "bulkId": f"b{i}",
            "data": _entra_user(f"u{i}", f"E3{i:03}"),
        }
        for i in range(5)
    ]
    operations.append(
        {"method": "POST", "path": "/Users", "bulkId": "dup", "data": _entra_user("u0", "E3999")}
    )
    answer = _post(client, "/scim/v2/Bulk", {"Operations": operations}, auth)
    statuses = [op["status"] for op in answer.json()["Operations"]]
    assert statuses == ["201"] * 5 + ["409"]
    page = client.get("/scim/v2/Users?startIndex=3&count=2", **auth).json()
    assert page["totalResults"] >= 5
    assert page["itemsPerPage"] == 2
    assert page["startIndex"] == 3
    # P16: past the last row, however far, is an empty page, not a server error.
    far = client.get(f"/scim/v2/Users?startIndex={10**30}&count=2", **auth)
    assert far.status_code == 200
    assert far.json()["Resources"] == []
    assert client.get("/scim/v2/Users?startIndex=²", **auth).status_code == 400


@pytest.mark.requirement("P56")
def test_without_its_token_scim_answers_401_even_to_a_signed_in_person(client, entra, admin):
    client.force_login(admin)
    assert client.get("/scim/v2/Users").status_code == 401
    wrong = client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer scim_wrong")
    assert wrong.status_code == 401
