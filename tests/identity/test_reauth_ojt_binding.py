"""On the trainer's on-the-job form the re-authentication tickets are bound to the
pending signature (issue 16, S1): the trainee's open assignment for the requirement,
not the trainee's person record, so a ticket made for one assignment cannot sign
another assignment of the same trainee."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.identity.models import ReauthRequest
from qualify.training.models import Assignment, Method, TrainingRecord
from tests.identity.flows import sign_in

pytestmark = pytest.mark.django_db

OFFER = re.compile(r'name="reauth_for" value="([^"]+)"')
TICKET = re.compile(r'<input type="hidden" name="([^"]*reauth_ticket)" value="([^"]+)"')


def _tickets_for(client, sso, url):
    """Both people re-authenticate at the real provider for the page's signatures;
    the page's hidden ticket fields."""
    trainee_offer, trainer_offer = OFFER.findall(client.get(url).content.decode())
    for offer, who in ((trainee_offer, "employee"), (trainer_offer, "trainer")):
        start = client.post(reverse("identity:sign_reauth"), {"reauth_for": offer})
        assert parse_qs(urlparse(start["Location"]).query)["prompt"] == ["login"]
        client.get(sso.answer(start["Location"], who))
    return dict(TICKET.findall(client.get(url).content.decode()))


@pytest.mark.requirement("P112", "P96", "S1")
def test_an_ojt_ticket_signs_only_the_assignment_it_was_made_for(
    client, sso, plant, employee, settings
):
    """The trainee has two open on-the-job assignments. Tickets made on the form of
    the first are bound to that assignment; posted on the form of the second they
    are refused ("made for another signature"), audited, and nothing is recorded;
    they still sign the first."""
    _trainer, ttt = plant.qualified_trainer()
    first, second = (
        plant.requirement(
            code, method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Gown"
        )
        for code in ("FILL-OJT", "CAP-OJT")
    )
    trainee = plant.person("Olivia", user=employee, job_function=plant.operators)
    plant.matrix(first)
    plant.matrix(second)
    sign_in(client, sso, "employee")
    client.post(reverse("logout"))
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    sign_in(client, sso, "trainer")

    def page(requirement):
        return f"{reverse('web:trainer_ojt')}?requirement={requirement.pk}&trainee={trainee.pk}"

    tickets = _tickets_for(client, sso, page(first))
    assignment = Assignment.objects.get(person=trainee, requirement=first, status="open")
    for request in ReauthRequest.objects.all():
        assert (request.object_type, request.object_id) == (
            "training.assignment",
            str(assignment.pk),
        )
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    form = {"trainee": trainee.pk, "attested_at": when, "item_0": "on", **tickets}
    refused = client.post(page(second), {**form, "requirement": second.pk})
    assert "made for another signature" in refused.content.decode()
    assert not TrainingRecord.objects.filter(person=trainee).exists()
    why = AuditEvent.objects.filter(action="signature.refused").last().data["detail"]["why"]
    assert "made for another signature" in why
    assert not ReauthRequest.objects.filter(redeemed_at__isnull=False).exists()
    done = client.post(page(first), {**form, "requirement": first.pk})
    assert "Signed by" in done.content.decode()
    assert TrainingRecord.objects.filter(person=trainee, requirement=first).exists()
    assert not TrainingRecord.objects.filter(person=trainee, requirement=second).exists()
