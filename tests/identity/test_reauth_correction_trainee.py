"""The trainee's signature on a record correction entered by someone else, through
the identity provider (issue 16, S1): a trainee whose local password is off is
offered no user id or password on the coordinator's screen but the forced
re-authentication as themselves at the real provider; the ticket is theirs, bound to
their meaning and the record corrected, and signs once."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from qualify.audit.models import AuditEvent
from qualify.identity.models import ReauthRequest
from qualify.signatures.models import Signature
from qualify.training.models import TrainingRecord
from tests.identity.flows import sign_in

pytestmark = pytest.mark.django_db

OFFER = re.compile(r'name="reauth_for" value="([^"]+)"')
TICKET = re.compile(r'<input type="hidden" name="([^"]*reauth_ticket)" value="([^"]+)"')
CORRECTION = {"reason": "Where it was read was not noted", "notes": "Read on the line terminal"}


def _correction_page(client, sso, plant, employee, coordinator, settings):
    requirement = plant.requirement("RU-SOP-500", document=plant.document("SOP-500"))
    olivia = plant.person("Olivia", user=employee, job_function=plant.operators)
    original = plant.read(olivia, requirement)
    sign_in(client, sso, "employee")  # links the trainee's account to the provider
    client.post(reverse("logout"))
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    client.force_login(coordinator)
    return reverse("web:coordinator_record_correct", args=[original.pk]), original


def _reauthenticate(client, sso, page: str, as_whom: str):
    start = client.post(reverse("identity:sign_reauth"), {"reauth_for": OFFER.search(page)[1]})
    assert start.status_code == 302, start.content
    query = parse_qs(urlparse(start["Location"]).query)
    assert (query["prompt"], query["max_age"]) == (["login"], ["0"])
    return client.get(sso.answer(start["Location"], as_whom))


@pytest.mark.requirement("P102", "P105", "R1", "S1")
def test_the_trainee_re_authenticates_for_the_correction_on_the_coordinator_s_screen(
    client, sso, plant, employee, coordinator, settings
):
    """P102: no trainee password field; the trainee re-authenticates as themselves,
    and their ticket signs the correction with the provider's evidence in the
    signature's audit record. P105: the spent ticket signs no further correction."""
    url, original = _correction_page(client, sso, plant, employee, coordinator, settings)
    page = client.get(url).content.decode()
    assert 'name="trainee_password"' not in page
    assert 'name="trainee_username"' not in page
    assert "signs here, on this screen, with their own Example IdP account" in page
    back = _reauthenticate(client, sso, page, "employee")
    assert back["Location"].startswith(url + "?reauth=")
    assert ReauthRequest.objects.get(meaning="read_and_understood").user == employee
    tickets = dict(TICKET.findall(client.get(back["Location"]).content.decode()))
    assert list(tickets) == ["trainee-reauth_ticket"]
    done = client.post(url, {**CORRECTION, **tickets})
    assert done.status_code == 302, done.content.decode()
    corrected = TrainingRecord.objects.get(supersedes=original)
    signature = Signature.objects.get(
        object_type="training.trainingrecord", object_id=str(corrected.pk)
    )
    assert signature.signer == employee
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    evidence = event.data["detail"]["authentication"]["reauthentication"]
    assert evidence["provider"] == "oidc"
    assert evidence["auth_time"]
    # The corrected record corrected again with the spent ticket: nothing signed.
    again = reverse("web:coordinator_record_correct", args=[corrected.pk])
    replay = client.post(again, {**CORRECTION, "notes": "Line 3", **tickets})
    assert replay.status_code == 422
    assert "already used" in replay.content.decode()
    assert not TrainingRecord.objects.filter(supersedes=corrected).exists()


@pytest.mark.requirement("P102", "P105", "S1")
def test_the_coordinator_cannot_re_authenticate_in_the_trainee_s_place(
    client, sso, plant, employee, coordinator, trainer, settings
):
    """P105: the trainee's re-authentication answered by another person is refused
    and audited; without the trainee's ticket nothing is corrected."""
    url, original = _correction_page(client, sso, plant, employee, coordinator, settings)
    back = _reauthenticate(client, sso, client.get(url).content.decode(), "trainer")
    assert "reauth=" not in back["Location"]
    why = AuditEvent.objects.filter(action="identity.reauth.refused").last().data["detail"]["why"]
    assert "another person, not the signer" in why
    refused = client.post(url, CORRECTION)
    assert refused.status_code == 422
    assert "Re-authenticate with Example IdP first" in refused.content.decode()
    assert not TrainingRecord.objects.filter(supersedes=original).exists()
