"""The QA approver's co-signature on another person's screen through the identity
provider (issue 16, S1): a matrix change on the coordinator's screen and a role
exception on the administrator's. The approver is known only once their user id is
typed; a QA approver whose local password is off is then offered the forced
re-authentication (no password field), signs in at the real provider as
themselves, and the ticket signs exactly that change, once."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from qualify.accounts import roles
from qualify.accounts.models import RoleException
from qualify.audit.models import AuditEvent
from qualify.identity.models import ReauthRequest
from qualify.signatures.models import Signature
from qualify.training.models import MatrixEntry
from tests.identity.flows import sign_in

pytestmark = pytest.mark.django_db

OFFER = re.compile(r'name="reauth_for" value="([^"]+)"')
TICKET = re.compile(r'<input type="hidden" name="([^"]*reauth_ticket)" value="([^"]+)"')


def _qa_signs_through_provider(client, sso, settings):
    sign_in(client, sso, "qa")  # links the QA approver's account to the provider
    client.post(reverse("logout"))
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"


def _reauthenticate(client, sso, page: str, as_whom: str):
    """Press the page's re-authentication button and answer at the provider as
    `as_whom`; Qualify's answer to the provider's callback."""
    start = client.post(reverse("identity:sign_reauth"), {"reauth_for": OFFER.search(page)[1]})
    assert start.status_code == 302, start.content
    query = parse_qs(urlparse(start["Location"]).query)
    assert (query["prompt"], query["max_age"]) == (["login"], ["0"])
    return client.get(sso.answer(start["Location"], as_whom))


def _refusal_reason() -> str:
    return AuditEvent.objects.filter(action="identity.reauth.refused").last().data["detail"]["why"]


@pytest.mark.requirement("P100", "P105", "S1", "S2")
@pytest.mark.parametrize(
    "named_by", ["id", pytest.param("code", marks=pytest.mark.requirement("P174"))]
)
def test_the_qa_approver_re_authenticates_for_a_matrix_change_once(
    client, sso, plant, coordinator, qa, settings, named_by
):
    """P100: named on the coordinator's screen, a QA approver who signs through the
    provider gets no password field but the provider's re-authentication as
    themselves; the typed change survives the round trip; the ticket signs the
    change with the provider, acr/amr and authentication time in the signature's
    audit record. P105: the same ticket presented again signs nothing."""
    first = plant.requirement("RU-SOP-101", document=plant.document("SOP-101"))
    second = plant.requirement("RU-SOP-102", document=plant.document("SOP-102"))
    _qa_signs_through_provider(client, sso, settings)
    client.force_login(coordinator)
    url = reverse("web:coordinator_matrix_add")
    data = {
        "requirement": first.pk,
        "window_days": "14",
        "reason": "Operators clear the line",
        "qa_username": "qa",
    }
    # P174: the job function the signature is bound to, ticked or typed.
    if named_by == "id":
        data["job_function"] = plant.operators.pk
    else:
        data["job_function__q"] = plant.operators.code.lower()
    named = client.post(url, data)
    assert named.status_code == 422
    page = named.content.decode()
    assert 'name="qa_password"' not in page
    assert "signs here, on this screen, with their own Example IdP account" in page
    back = _reauthenticate(client, sso, page, "qa")
    assert back.status_code == 302
    assert "&reauth=" in back["Location"]
    returned = client.get(back["Location"]).content.decode()
    assert "Operators clear the line" in returned
    if named_by == "code":
        assert f'value="{plant.operators.code.lower()}"' in returned
    tickets = dict(TICKET.findall(returned))
    assert list(tickets) == ["reauth_ticket"]
    done = client.post(url, {**data, **tickets})
    assert done.status_code == 302, done.content.decode()
    entry = MatrixEntry.objects.get(requirement=first)
    assert entry.job_function == plant.operators
    signature = Signature.objects.get(object_type="training.matrixentry", object_id=str(entry.pk))
    assert (signature.signer, signature.meaning) == (qa, "approved")
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    authentication = event.data["detail"]["authentication"]
    assert authentication["session_rule"] == "first signing in the session: both components"
    evidence = authentication["reauthentication"]
    assert evidence["provider"] == "oidc"
    assert evidence["auth_time"]
    assert {"acr", "amr"} <= set(evidence)
    # P105: the spent ticket, posted for another change, signs nothing.
    replay = client.post(url, {**data, "requirement": second.pk, **tickets})
    assert replay.status_code == 422
    assert "already used" in replay.content.decode()
    assert not MatrixEntry.objects.filter(requirement=second).exists()


@pytest.mark.requirement("P100", "P105", "S1")
def test_the_coordinator_cannot_re_authenticate_in_the_qa_approver_s_place(
    client, sso, plant, coordinator, qa, trainer, settings
):
    """P100, P105: the approver's re-authentication answered at the provider by someone
    else is refused and audited; no ticket, so the change is not made."""
    requirement = plant.requirement("RU-SOP-103", document=plant.document("SOP-103"))
    _qa_signs_through_provider(client, sso, settings)
    client.force_login(coordinator)
    url = reverse("web:coordinator_matrix_add")
    data = {
        "job_function": plant.operators.pk,
        "requirement": requirement.pk,
        "window_days": "14",
        "reason": "Operators clear the line",
        "qa_username": "qa",
    }
    page = client.post(url, data).content.decode()
    back = _reauthenticate(client, sso, page, "trainer")
    assert "&reauth=" not in back["Location"]
    assert "another person, not the signer" in _refusal_reason()
    assert not ReauthRequest.objects.filter(authenticated_at__isnull=False).exists()
    refused = client.post(url, data)
    assert refused.status_code == 422
    assert "Re-authenticate with Example IdP first" in refused.content.decode()
    assert not MatrixEntry.objects.exists()


@pytest.mark.requirement("P101", "P105", "U3", "S1")
def test_the_qa_approver_re_authenticates_for_a_role_exception(
    client, sso, admin, employee, trainer, qa, settings
):
    """P101: on the administrator's screen, the named QA approver who signs through
    the provider re-authenticates as themselves for the exception on this account;
    the ticket is bound to it and signs once."""
    _qa_signs_through_provider(client, sso, settings)
    client.force_login(admin)
    url = reverse("web:admin_user_exception", args=[employee.pk])
    form = {
        "exception-roles": [roles.EMPLOYEE],
        "exception-reason": "Single-person site",
        "exception-qa_username": "qa",
    }
    named = client.post(url, form)
    assert named.status_code == 422
    page = named.content.decode()
    assert 'name="exception-qa_password"' not in page
    back = _reauthenticate(client, sso, page, "qa")
    assert "&reauth=" in back["Location"]
    returned = client.get(back["Location"]).content.decode()
    assert "Single-person site" in returned
    tickets = dict(TICKET.findall(returned))
    assert list(tickets) == ["exception-reauth_ticket"]
    assert client.post(url, {**form, **tickets}).status_code == 302
    exception = RoleException.objects.get(user=employee)
    assert exception.approved_by == qa
    signature = Signature.objects.get(
        object_type="accounts.roleexception", object_id=str(exception.pk)
    )
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    assert event.data["detail"]["authentication"]["reauthentication"]["provider"] == "oidc"
    # The spent ticket, posted for an exception on another account, signs nothing.
    other = reverse("web:admin_user_exception", args=[trainer.pk])
    replay = client.post(other, {**form, **tickets})
    assert replay.status_code == 422
    assert "already used" in replay.content.decode()
    assert not RoleException.objects.filter(user=trainer).exists()


@pytest.mark.requirement("P100", "P105", "S1", "S2")
def test_the_qa_approver_re_authenticates_to_end_a_matrix_entry(
    client, sso, plant, coordinator, qa, settings
):
    """P100: ending an entry, the named QA approver re-authenticates as themselves;
    the ticket is bound to that entry and signs its end ("closed") once."""
    entry = plant.matrix(plant.requirement("RU-SOP-104", document=plant.document("SOP-104")))
    _qa_signs_through_provider(client, sso, settings)
    client.force_login(coordinator)
    url = reverse("web:coordinator_matrix_end", args=[entry.pk])
    data = {"reason": "Procedure retired", "qa_username": "qa"}
    page = client.post(url, data).content.decode()
    assert 'name="qa_password"' not in page
    back = _reauthenticate(client, sso, page, "qa")
    returned = client.get(back["Location"]).content.decode()
    assert "Procedure retired" in returned
    tickets = dict(TICKET.findall(returned))
    assert client.post(url, {**data, **tickets}).status_code == 302
    entry.refresh_from_db()
    assert entry.valid_to is not None
    signature = Signature.objects.get(
        object_type="training.matrixentry", object_id=str(entry.pk), meaning="closed"
    )
    assert signature.signer == qa
