"""Signing on another person's screen through the identity provider (issue 16, S1):
on the trainer's on-the-job form, a trainee whose local password is turned off
re-authenticates at the real provider as themselves (forced, prompt=login); the
offer names the trainee, the ticket is bound to the trainee (not to the trainer whose
session it is), and the trainer re-authenticates for their own signature too."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.identity.models import ReauthRequest
from qualify.signatures.models import Signature
from qualify.training.models import Method, TrainingRecord
from tests.identity.flows import sign_in

pytestmark = pytest.mark.django_db

OFFER = re.compile(r'name="reauth_for" value="([^"]+)"')
TICKET = re.compile(r'<input type="hidden" name="([^"]*reauth_ticket)" value="([^"]+)"')


def _ojt_page(client, sso, plant, employee, settings):
    _trainer, ttt = plant.qualified_trainer()
    ojt = plant.requirement(
        "FILL-OJT", method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Gown"
    )
    trainee = plant.person("Olivia", user=employee, job_function=plant.operators)
    plant.matrix(ojt)
    # The trainee's account is linked to the provider (signed in there once).
    sign_in(client, sso, "employee")
    client.post(reverse("logout"))
    # Local passwords for break-glass administrators only: the trainee cannot type one.
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    url = f"{reverse('web:trainer_ojt')}?requirement={ojt.pk}&trainee={trainee.pk}"
    return url, ojt, trainee


def _start(client, offer):
    start = client.post(reverse("identity:sign_reauth"), {"reauth_for": offer})
    assert start.status_code == 302, start.content
    query = parse_qs(urlparse(start["Location"]).query)
    assert (query["prompt"], query["max_age"]) == (["login"], ["0"])
    return start["Location"]


@pytest.mark.requirement("P96", "P80", "S1")
def test_the_trainee_re_authenticates_on_the_trainer_s_screen(
    client, sso, plant, employee, settings
):
    url, ojt, trainee = _ojt_page(client, sso, plant, employee, settings)
    sign_in(client, sso, "trainer")
    page = client.get(url).content.decode()
    assert 'name="trainee-password"' not in page
    assert 'name="trainer-password"' not in page
    assert "signs here, on this screen, with their own Example IdP account" in page
    trainee_offer, trainer_offer = OFFER.findall(page)
    # The trainee re-authenticates as themselves; the request is theirs.
    back = client.get(sso.answer(_start(client, trainee_offer), "employee"))
    assert back.status_code == 302
    assert back["Location"].startswith(url + "&reauth=")
    request = ReauthRequest.objects.get(meaning="completed_training")
    assert request.user == employee
    assert request.authenticated_at is not None
    # The trainer, for their own signature.
    client.get(sso.answer(_start(client, trainer_offer), "trainer"))
    tickets = dict(TICKET.findall(client.get(url).content.decode()))
    assert set(tickets) == {"trainee-reauth_ticket", "trainer-reauth_ticket"}
    target = {"requirement": ojt.pk, "trainee": trainee.pk}
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    done = client.post(url, {**target, "attested_at": when, "item_0": "on", **tickets})
    assert done.status_code == 200
    assert "Signed by" in done.content.decode()
    record = TrainingRecord.objects.get(person=trainee, requirement=ojt)
    signed = {
        s.meaning: s
        for s in Signature.objects.filter(
            object_type="training.trainingrecord", object_id=str(record.pk)
        )
    }
    assert signed["completed_training"].signer == employee
    assert signed["trained_by"].signer == plant.trainer_user
    for signature in signed.values():
        event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
        assert event.data["detail"]["authentication"]["reauthentication"]["provider"] == "oidc"
    assert not ReauthRequest.objects.filter(redeemed_at__isnull=True).exists()


@pytest.mark.requirement("P96", "S1")
def test_the_trainer_cannot_re_authenticate_in_the_trainee_s_place(
    client, sso, plant, employee, settings
):
    """The trainee's offer answered at the provider by the trainer: refused, audited,
    no ticket; without a ticket the form signs nothing."""
    url, ojt, trainee = _ojt_page(client, sso, plant, employee, settings)
    sign_in(client, sso, "trainer")
    trainee_offer, _ = OFFER.findall(client.get(url).content.decode())
    back = client.get(sso.answer(_start(client, trainee_offer), "trainer"))
    assert "&reauth=" not in back["Location"]
    why = AuditEvent.objects.filter(action="identity.reauth.refused").last().data["detail"]["why"]
    assert "another person, not the signer" in why
    assert not ReauthRequest.objects.filter(authenticated_at__isnull=False).exists()
    assert not TICKET.search(client.get(url).content.decode())
    target = {"requirement": ojt.pk, "trainee": trainee.pk}
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url, {**target, "attested_at": when, "item_0": "on"})
    assert "Re-authenticate with Example IdP first" in refused.content.decode()
    assert not TrainingRecord.objects.filter(person=trainee, requirement=ojt).exists()
