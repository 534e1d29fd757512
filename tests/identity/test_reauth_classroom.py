"""Classroom signatures through the identity provider (issue 16, S1): the trainer
closing a session signs each attendee's record with its own forced
re-authentication (a ticket signs one signature), and at the kiosk, where nobody is
signed in, an attendee who gives their user id re-authenticates at the real
provider as themselves; the ticket carries their linked subject."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.identity.models import ExternalIdentity, ReauthRequest
from qualify.signatures.models import Signature
from qualify.training import services as training
from qualify.training.models import ClassSession, Enrolment, Method, SessionStatus
from tests.identity.flows import sign_in
from tests.training.support import creds

pytestmark = pytest.mark.django_db

OFFER = re.compile(r'name="reauth_for" value="([^"]+)"')
TICKET = re.compile(r'<input type="hidden" name="([^"]*reauth_ticket)" value="([^"]+)"')
HOUR = dt.timedelta(hours=1)


def _open_session(plant, *people):
    _trainer, ttt = plant.qualified_trainer()
    course = plant.requirement("GMP-101", method=Method.CLASSROOM, trainer_requirement=ttt)
    plant.matrix(course)
    now = timezone.now()
    session = training.session_schedule(
        actor=plant.trainer_user,
        requirement=course,
        room="Room 2",
        starts_at=now - HOUR,
        ends_at=now + HOUR,
        capacity=5,
    )
    for person in people:
        training.session_enrol(actor=plant.trainer_user, session=session, person=person)
    window, token = training.window_open(actor=plant.trainer_user, session=session)
    return session, window, token


def _provider_answer(client, sso, start, as_whom: str):
    assert start.status_code == 302, start.content
    query = parse_qs(urlparse(start["Location"]).query)
    assert (query["prompt"], query["max_age"]) == (["login"], ["0"])
    callback = sso.answer(start["Location"], as_whom)
    return client.get(callback), callback


def _refusal_reason() -> str:
    return AuditEvent.objects.filter(action="identity.reauth.refused").last().data["detail"]["why"]


@pytest.mark.requirement("P103", "P105", "S1")
def test_the_trainer_closes_a_session_with_one_re_authentication_per_attendee(
    client, sso, plant, settings
):
    """P103: no password field; one offer per attendee's record; a ticket presented
    for another attendee's record, or tickets missing, sign nothing and spend
    nothing; with one ticket each the session closes and every record's trained_by
    signature keeps the provider's evidence. P105: a re-authentication answered by
    someone else is refused and audited."""
    ann, ben = (plant.person(n, job_function=plant.operators) for n in ("Ann", "Ben"))
    session, window, _ = _open_session(plant, ann, ben)
    for person in (ann, ben):
        training.attendance_sign(window=window, credentials=creds(person.user))
    sign_in(client, sso, "trainer")
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    url = reverse("web:trainer_session", args=[session.pk])
    page = client.get(url).content.decode()
    assert 'name="close-password"' not in page
    offers = OFFER.findall(page)
    assert len(offers) == 2
    # Someone else answering at the provider for the trainer: refused, audited.
    start = client.post(reverse("identity:sign_reauth"), {"reauth_for": offers[0]})
    back, _ = _provider_answer(client, sso, start, "employee")
    assert "reauth=" not in back["Location"]
    assert "another person, not the signer" in _refusal_reason()
    for offer in OFFER.findall(client.get(url).content.decode()):
        start = client.post(reverse("identity:sign_reauth"), {"reauth_for": offer})
        back, _ = _provider_answer(client, sso, start, "trainer")
        assert "reauth=" in back["Location"]
    tickets = dict(TICKET.findall(client.get(url).content.decode()))
    assert len(tickets) == 2
    (first_field, first), (second_field, second) = tickets.items()
    swapped = client.post(url, {"action": "close", first_field: second, second_field: first})
    assert "made for another signature" in swapped.content.decode()
    one_only = client.post(url, {"action": "close", first_field: first})
    assert "Re-authenticate for every record" in one_only.content.decode()
    assert ReauthRequest.objects.filter(ticket__in=[first, second], redeemed_at=None).count() == 2
    assert ClassSession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED
    closed = client.post(url, {"action": "close", **tickets})
    assert closed.status_code == 302
    assert ClassSession.objects.get(pk=session.pk).status == SessionStatus.HELD
    records = Enrolment.objects.filter(session=session).values_list("record_id", flat=True)
    signatures = Signature.objects.filter(
        meaning="trained_by", object_id__in=[str(pk) for pk in records]
    )
    assert signatures.count() == 2
    for signature in signatures:
        assert signature.signer == plant.trainer_user
        event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
        evidence = event.data["detail"]["authentication"]["reauthentication"]
        assert evidence["provider"] == "oidc"
        assert evidence["auth_time"]
    assert not ReauthRequest.objects.filter(ticket__in=[first, second], redeemed_at=None).exists()


def _kiosk_with_sso_attendee(client, sso, plant, employee, settings):
    olivia = plant.person("Olivia", user=employee, job_function=plant.operators)
    session, _window, token = _open_session(plant, olivia)
    sign_in(client, sso, "employee")  # links the attendee's account to the provider
    client.post(reverse("logout"))
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    return session, reverse("web:kiosk", args=[token]), olivia


@pytest.mark.requirement("P104", "P105", "S1")
def test_at_the_kiosk_the_attendee_re_authenticates_as_themselves(
    client, sso, plant, employee, settings
):
    """P104: nobody is signed in at the kiosk; the attendee gives their user id, is
    offered the provider instead of a password field, re-authenticates there, and
    their ticket (their linked subject) signs their attendance. P105: the provider's
    answer replayed gives no second ticket."""
    session, url, olivia = _kiosk_with_sso_attendee(client, sso, plant, employee, settings)
    kiosk = Client()
    named = kiosk.post(url, {"username": "employee"})
    page = named.content.decode()
    assert 'name="password"' not in page
    assert "Re-authenticate with Example IdP to sign" in page
    start = kiosk.post(url, {"username": "employee", "action": "reauth"})
    back, callback = _provider_answer(kiosk, sso, start, "employee")
    assert back["Location"].startswith(url + "?signer=employee&reauth=")
    tickets = dict(TICKET.findall(kiosk.get(back["Location"]).content.decode()))
    assert list(tickets) == ["reauth_ticket"]
    signed = kiosk.post(url, {"username": "employee", **tickets})
    assert signed.status_code == 302
    enrolment = Enrolment.objects.get(session=session, person=olivia)
    assert enrolment.signed_on == "kiosk"
    signature = Signature.objects.get(
        object_type="training.trainingrecord", object_id=str(enrolment.record_id)
    )
    assert signature.signer == employee
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    evidence = event.data["detail"]["authentication"]["reauthentication"]
    assert evidence["subject"] == ExternalIdentity.objects.get(user=employee).subject
    assert evidence["auth_time"]
    replayed = kiosk.get(callback)
    assert "reauth=" not in replayed["Location"]
    assert ReauthRequest.objects.filter(authenticated_at__isnull=False).count() == 1


@pytest.mark.requirement("P104", "P105", "S1")
def test_at_the_kiosk_another_person_cannot_re_authenticate_for_the_attendee(
    client, sso, plant, employee, settings
):
    """P105: the attendee's re-authentication answered by someone else is refused
    and audited; nothing is signed."""
    session, url, olivia = _kiosk_with_sso_attendee(client, sso, plant, employee, settings)
    kiosk = Client()
    start = kiosk.post(url, {"username": "employee", "action": "reauth"})
    back, _ = _provider_answer(kiosk, sso, start, "trainer")
    assert "reauth=" not in back["Location"]
    assert "another person, not the signer" in _refusal_reason()
    page = kiosk.get(url + "?signer=employee").content.decode()
    assert not TICKET.search(page)
    assert Enrolment.objects.get(session=session, person=olivia).record_id is None


@pytest.mark.requirement("P103", "P58", "S1")
def test_a_trainer_signed_in_through_saml_closes_with_force_authn_per_record(
    client, saml_sso, plant
):
    """P103 through SAML: each attendee's record has its own ForceAuthn request; the
    session closes once every record has its ticket, each signature keeping the SAML
    provider's evidence."""
    ann, ben = (plant.person(n, job_function=plant.operators) for n in ("Ann", "Ben"))
    session, window, _ = _open_session(plant, ann, ben)
    for person in (ann, ben):
        training.attendance_sign(window=window, credentials=creds(person.user))
    start = client.get("/identity/saml/login/")
    form = saml_sso.answer(start["Location"], "trainer")
    posted = client.post(form["action"], {k: v for k, v in form.items() if k != "action"})
    client.get(posted["Location"])
    url = reverse("web:trainer_session", args=[session.pk])
    page = client.get(url).content.decode()
    assert 'name="close-password"' not in page
    for offer in OFFER.findall(page):
        start = client.post(reverse("identity:sign_reauth"), {"reauth_for": offer})
        form = saml_sso.answer(start["Location"], "trainer")
        posted = client.post(form["action"], {k: v for k, v in form.items() if k != "action"})
        assert "reauth=" in client.get(posted["Location"])["Location"]
    tickets = dict(TICKET.findall(client.get(url).content.decode()))
    assert len(tickets) == 2
    assert client.post(url, {"action": "close", **tickets}).status_code == 302
    assert ClassSession.objects.get(pk=session.pk).status == SessionStatus.HELD
    assert not ReauthRequest.objects.filter(ticket__in=tickets.values(), redeemed_at=None).exists()
    records = Enrolment.objects.filter(session=session).values_list("record_id", flat=True)
    signatures = Signature.objects.filter(
        meaning="trained_by", object_id__in=[str(pk) for pk in records]
    )
    assert signatures.count() == 2
    for signature in signatures:
        event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
        assert event.data["detail"]["authentication"]["reauthentication"]["method"] == "saml"
