"""The classroom kiosk through the SAML IdP (issue 16, S1): nobody is signed in;
an enrolled attendee whose local password is off and whose account is linked to
the real pysaml2 IdP gives their user id, the kiosk's browser goes to the IdP with
ForceAuthn, and only an answer naming the attendee (their NameID) gives the ticket
that signs their attendance, once."""

import pytest
from django.test import Client
from django.urls import reverse

from qualify.audit.models import AuditEvent
from qualify.identity.models import ExternalIdentity, ReauthRequest
from qualify.signatures.models import Signature
from qualify.training.models import Enrolment
from tests.identity.saml_flows import (
    TICKET,
    authn_request_xml,
    links_and_leaves,
    post_answer,
    refusal_reason,
)
from tests.identity.test_reauth_classroom import _open_session

pytestmark = pytest.mark.django_db


def _kiosk(client, saml_sso, plant, employee, settings):
    olivia = plant.person("Olivia", user=employee, job_function=plant.operators)
    session, _window, token = _open_session(plant, olivia)
    links_and_leaves(client, saml_sso, "employee", settings)
    return session, reverse("web:kiosk", args=[token]), olivia


def _force_authn(kiosk, saml_sso, url: str, as_whom: str):
    start = kiosk.post(url, {"username": "employee", "action": "reauth"})
    assert start.status_code == 302, start.content
    assert 'ForceAuthn="true"' in authn_request_xml(start["Location"])
    form = saml_sso.answer(start["Location"], as_whom)
    return post_answer(kiosk, form), form


@pytest.mark.requirement("P108", "P104", "P105", "S1")
def test_at_the_kiosk_the_attendee_re_authenticates_at_the_saml_idp(
    client, saml_sso, plant, employee, settings
):
    """P108: the attendee is offered the SAML IdP instead of a password field,
    answers ForceAuthn as themselves, and their ticket (their NameID) signs their
    attendance with the SAML evidence. The IdP's answer posted again gives no second
    ticket, and the ticket posted again signs nothing more."""
    session, url, olivia = _kiosk(client, saml_sso, plant, employee, settings)
    kiosk = Client()
    page = kiosk.post(url, {"username": "employee"}).content.decode()
    assert 'name="password"' not in page
    assert "Re-authenticate with Example SAML IdP to sign" in page
    back, form = _force_authn(kiosk, saml_sso, url, "employee")
    assert back["Location"].startswith(url + "?signer=employee&reauth=")
    tickets = dict(TICKET.findall(kiosk.get(back["Location"]).content.decode()))
    assert list(tickets) == ["reauth_ticket"]
    assert kiosk.post(url, {"username": "employee", **tickets}).status_code == 302
    enrolment = Enrolment.objects.get(session=session, person=olivia)
    assert enrolment.signed_on == "kiosk"
    signature = Signature.objects.get(
        object_type="training.trainingrecord", object_id=str(enrolment.record_id)
    )
    assert signature.signer == employee
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    evidence = event.data["detail"]["authentication"]["reauthentication"]
    assert evidence["method"] == "saml"
    assert evidence["subject"] == ExternalIdentity.objects.get(user=employee).subject
    assert evidence["auth_time"] >= evidence["requested_at"][:19]
    replayed = post_answer(kiosk, form)
    assert "reauth=" not in replayed["Location"]
    assert ReauthRequest.objects.filter(authenticated_at__isnull=False).count() == 1
    # The ticket posted again: the attendance is signed already, nothing more is.
    again = kiosk.post(url, {"username": "employee", **tickets})
    said = [str(m) for m in again.wsgi_request._messages]
    assert said[-1] == f"{olivia.full_name} has already signed for this session."
    assert Signature.objects.filter(signer=employee).count() == 1


@pytest.mark.requirement("P108", "P105", "S1")
def test_at_the_kiosk_another_person_cannot_answer_the_saml_idp_for_the_attendee(
    client, saml_sso, plant, employee, settings
):
    """P108: the attendee's ForceAuthn answered by someone else is refused and
    audited against the attendee; no ticket, nothing signed."""
    session, url, olivia = _kiosk(client, saml_sso, plant, employee, settings)
    kiosk = Client()
    back, _ = _force_authn(kiosk, saml_sso, url, "trainer")
    assert "reauth=" not in back["Location"]
    assert "another person, not the signer" in refusal_reason()
    refused = AuditEvent.objects.filter(action="identity.reauth.refused").last()
    assert refused.object_id == str(employee.pk)
    assert not TICKET.search(kiosk.get(url + "?signer=employee").content.decode())
    assert Enrolment.objects.get(session=session, person=olivia).record_id is None
