"""P26: the access rights history of any account for any period, through the API:
who held which role and client access, when, granted by whom, and why (U3)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from qualify.accounts import roles
from qualify.accounts.services import user_set_roles
from qualify.org import services as org
from tests.api.conftest import bearer
from tests.personas import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P26", "U3")]

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def travel(when: dt.datetime):
    return time_machine.travel(when, tick=False)


@pytest.fixture
def history(admin):
    """Jane: employee from day 0, trainer from day 10 to day 20, Acme access from day
    5 to day 15; a refused self-change by the administrator on day 12."""
    with travel(at(0)):
        jane = make_user("jane", roles.EMPLOYEE)
        acme = org.client_create(actor=admin, code="ACME", name="Acme Pharma")
    with travel(at(5)):
        org.client_access_grant(actor=admin, user=jane, client=acme, reason="Acme project")
    with travel(at(10)):
        user_set_roles(
            actor=admin, user=jane, roles=[roles.EMPLOYEE, roles.TRAINER], reason="Now trains"
        )
    with travel(at(12)), pytest.raises(ValidationError):
        user_set_roles(
            actor=admin, user=admin, roles=[roles.ADMINISTRATOR, roles.AUDITOR], reason="me"
        )
    with travel(at(15)):
        org.client_access_revoke(
            actor=admin, user=jane, client=acme, reason="Project over", make_unrestricted=True
        )
    with travel(at(20)):
        user_set_roles(actor=admin, user=jane, roles=[roles.EMPLOYEE], reason="Stopped training")
    return jane


def session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_the_whole_history_names_each_holding_with_who_when_and_why(auditor, history):
    answer = session(auditor).get(f"/api/v1/users/{history.pk}/access-history/")
    assert answer.status_code == 200
    body = answer.json()
    held = {(h["kind"], h["name"]): h for h in body["holdings"]}
    assert set(held) == {("role", "employee"), ("role", "trainer"), ("client", "ACME")}
    trainer = held[("role", "trainer")]
    assert trainer["since"].startswith("2026-01-15T09:00")
    assert trainer["until"].startswith("2026-01-25T09:00")
    assert trainer["granted_by"] == "Admin (admin)"
    assert trainer["grant_reason"] == "Now trains"
    assert trainer["removal_reason"] == "Stopped training"
    assert held[("role", "employee")]["until"] is None
    acme = held[("client", "ACME")]
    assert (acme["grant_reason"], acme["removal_reason"]) == ("Acme project", "Project over")
    kinds = [(c["kind"], c["old"], c["new"]) for c in body["changes"]]
    assert kinds == [
        ("role", [], ["employee"]),
        ("client", [], ["ACME"]),
        ("role", ["employee"], ["employee", "trainer"]),
        ("client", ["ACME"], []),
        ("role", ["employee", "trainer"], ["employee"]),
    ]


def test_a_period_shows_what_was_held_in_it_and_the_changes_made_in_it(admin, history):
    answer = session(admin).get(
        "/api/v1/access-history/",
        {"user": "JANE", "start": iso(at(16)), "end": iso(at(18))},
    )
    assert answer.status_code == 200
    body = answer.json()
    # Between day 16 and 18 Jane was employee and trainer; Acme had ended on day 15.
    assert sorted(h["name"] for h in body["holdings"]) == ["employee", "trainer"]
    assert body["changes"] == []
    early = session(admin).get(
        "/api/v1/access-history/", {"user": "jane", "start": iso(at(4)), "end": iso(at(6))}
    )
    assert sorted(h["name"] for h in early.json()["holdings"]) == ["ACME", "employee"]
    assert [c["reason"] for c in early.json()["changes"]] == ["Acme project"]


def test_refused_attempts_appear_in_the_history_of_the_account_concerned(auditor, admin, history):
    answer = session(auditor).get(f"/api/v1/users/{admin.pk}/access-history/")
    [refusal] = answer.json()["refusals"]
    assert refusal["action"] == "account.roles.refused"
    assert "own roles" in refusal["why"]


@pytest.mark.parametrize("persona", ["employee", "coordinator", "qa"])
def test_only_auditors_and_administrators_read_the_history(request, persona, history):
    user = request.getfixturevalue(persona)
    assert session(user).get(f"/api/v1/users/{history.pk}/access-history/").status_code == 403
    assert session(user).get("/api/v1/access-history/", {"user": "jane"}).status_code == 403


def test_a_read_token_reads_the_history(make_token, history):
    _, raw = make_token("read")
    assert bearer(raw).get(f"/api/v1/users/{history.pk}/access-history/").status_code == 200


def test_bad_questions_get_clear_answers(auditor, history):
    client = session(auditor)
    assert client.get("/api/v1/users/999999/access-history/").status_code == 404
    unknown = client.get("/api/v1/access-history/", {"user": "nobody"})
    assert unknown.status_code == 404
    assert "No account has this user id" in unknown.content.decode()
    assert client.get("/api/v1/access-history/").status_code == 400
    naive = client.get("/api/v1/access-history/", {"user": "jane", "start": "2026-01-05T09:00"})
    assert naive.status_code == 400
    assert "UTC offset" in naive.content.decode()
    backwards = client.get(
        "/api/v1/access-history/", {"user": "jane", "start": iso(at(5)), "end": iso(at(1))}
    )
    assert backwards.status_code == 400


def test_the_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/users/{id}/access-history/" in schema["paths"]
    assert "/api/v1/access-history/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/access-history/"]["get"]["parameters"]}
    assert {"user", "start", "end"} <= params


def test_the_history_reads_from_the_audit_trail_not_the_current_rows(admin, history):
    # A change written directly into the groups, bypassing the services, leaves no
    # event: the history shows only what the trail recorded.
    from django.contrib.auth.models import Group

    history.groups.add(Group.objects.get(name=roles.QA_APPROVER))
    now = timezone.now()
    body = session(admin).get(f"/api/v1/users/{history.pk}/access-history/").json()
    assert "qa_approver" not in {h["name"] for h in body["holdings"]}
    assert all(dt.datetime.fromisoformat(c["at"]) <= now for c in body["changes"])
