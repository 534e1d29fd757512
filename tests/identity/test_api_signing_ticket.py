"""Signing through the API with a re-authentication ticket (issue 16, S1), against
the real OpenID provider: a client asks for an offer for one pending signature (the
signing endpoint it will call: signer, meaning, record hash), the person
re-authenticates at the provider in a browser, the client reads the ticket and the
signing endpoint accepts it instead of a password. One ticket signs one signature;
a replayed ticket, one for another signature, another signer's and an expired one
are refused with the reason, audited, and nothing is signed."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.identity.models import ReauthRequest
from qualify.org.models import Person
from qualify.signatures.models import Signature
from qualify.signatures.services import pending_binding
from qualify.training import services as training
from qualify.training.models import Method, TrainingRecord
from tests import files
from tests.identity.flows import sign_in
from tests.training.support import creds

pytestmark = pytest.mark.django_db

OFFERS = reverse("api:signature-reauth")


def _certificates(plant, employee, codes):
    """The employee's external certificates, submitted; none verified yet."""
    person = Person.objects.filter(user=employee).first() or plant.person(
        "Olivia", user=employee, job_function=plant.operators
    )
    made = []
    for code in codes:
        requirement = plant.requirement(code, method=Method.EXTERNAL)
        plant.matrix(requirement)
        made.append(
            training.certificate_submit(
                actor=employee,
                person=person,
                requirement=requirement,
                issuer="GMP Academy",
                completed_at=timezone.now() - timezone.timedelta(hours=1),
                file=ContentFile(files.pdf(code), name=f"{code}.pdf"),
            )
        )
    return made


def _verified(plant, employee, codes):
    made = _certificates(plant, employee, codes)
    for certificate in made:
        training.certificate_verify(
            actor=plant.coordinator, certificate=certificate, credentials=creds(plant.coordinator)
        )
    return made


def _sign_url(certificate):
    return reverse("api:certificate-sign", args=[certificate.pk])


def _ticket(client, sso, signing_url, username="employee"):
    """The client asks for the offer; the person opens its browser address,
    re-authenticates at the provider; the client reads the ticket."""
    answer = client.post(OFFERS, {"signing_url": signing_url}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    offer = answer.json()
    waiting = client.get(OFFERS, {"offer": offer["offer"]}).json()
    assert (waiting["status"], waiting["reauth_ticket"]) == ("pending", "")
    page = client.get(offer["browser_url"]).content.decode()
    assert "An application asks for your signature" in page
    start = client.post(reverse("identity:sign_reauth"), {"reauth_for": offer["offer"]})
    query = parse_qs(urlparse(start["Location"]).query)
    assert (query["prompt"], query["max_age"]) == (["login"], ["0"])
    back = client.get(sso.answer(start["Location"], username))
    assert back["Location"].startswith(reverse("identity:sign_reauth") + "?reauth=")
    assert "Return to the application" in client.get(back["Location"]).content.decode()
    done = client.get(OFFERS, {"offer": offer["offer"]}).json()
    assert done["status"] == "completed"
    return offer, done["reauth_ticket"]


def _refusals():
    return [e.data["detail"]["why"] for e in AuditEvent.objects.filter(action="signature.refused")]


def _signed(certificate):
    certificate.refresh_from_db()
    record = TrainingRecord.objects.filter(pk=certificate.record_id).first()
    return Signature.objects.filter(
        object_type="training.trainingrecord",
        object_id=str(record.pk),
        meaning="completed_training",
    ).exists()


@pytest.mark.requirement("P110", "P111", "S1")
def test_a_person_without_a_local_password_signs_through_the_api_with_a_ticket(
    client, sso, settings, plant, employee
):
    """The offer names the pending signature (meaning, object, record hash); the
    ticket from the real provider signs the certificate's record once (201, the
    provider's evidence in the signature's audit record); the same ticket replayed
    on the next certificate is refused 400 "already used", audited, nothing signed."""
    first, second = _verified(plant, employee, ["EXT-GMP", "EXT-GDP"])
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    sign_in(client, sso, "employee")
    offer, ticket = _ticket(client, sso, _sign_url(first))
    assert offer["meaning"] == "completed_training"
    assert (offer["object_type"], offer["object_id"]) == (
        "training.externalcertificate",
        str(first.pk),
    )
    assert offer["binding"] == pending_binding(meaning="completed_training", obj=first)
    assert offer["provider"] == "Example IdP"
    signed = client.post(
        _sign_url(first), {"reauth_ticket": ticket}, content_type="application/json"
    )
    assert signed.status_code == 201, signed.content
    assert _signed(first)
    signature = Signature.objects.get(signer=employee, meaning="completed_training")
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    evidence = event.data["detail"]["authentication"]["reauthentication"]
    assert (evidence["provider"], evidence["amr"]) == ("oidc", ["pwd"])
    assert ReauthRequest.objects.get(ticket=ticket).redeemed_at is not None
    replay = client.post(
        _sign_url(second), {"reauth_ticket": ticket}, content_type="application/json"
    )
    assert replay.status_code == 400, replay.content
    assert "already used" in replay.json()["detail"]
    assert "already used" in _refusals()[-1]
    assert not _signed(second)


@pytest.mark.requirement("P111", "S1")
def test_another_signature_s_another_signer_s_and_an_expired_ticket_are_refused(
    client, sso, settings, plant, employee
):
    """A ticket made for the first certificate: posted for the second, by the
    coordinator verifying a third, and after QUALIFY_REAUTH_MINUTES: each refused
    400 with its reason, each refusal audited, nothing signed, the ticket unspent."""
    first, second = _verified(plant, employee, ["EXT-GMP", "EXT-GDP"])
    (third,) = _certificates(plant, employee, ["EXT-GCP"])
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    sign_in(client, sso, "employee")
    _offer, ticket = _ticket(client, sso, _sign_url(first))
    other = client.post(
        _sign_url(second), {"reauth_ticket": ticket}, content_type="application/json"
    )
    assert other.status_code == 400
    assert "made for another signature" in other.json()["detail"]
    coordinator = Client()
    coordinator.force_login(plant.coordinator)
    stolen = coordinator.post(
        reverse("api:certificate-verify", args=[third.pk]),
        {"reauth_ticket": ticket},
        content_type="application/json",
    )
    assert stolen.status_code == 400, stolen.content
    assert "belongs to another person" in stolen.json()["detail"]
    ReauthRequest.objects.filter(ticket=ticket).update(
        authenticated_at=timezone.now()
        - timezone.timedelta(minutes=settings.QUALIFY_REAUTH_MINUTES, seconds=1)
    )
    expired = client.post(
        _sign_url(first), {"reauth_ticket": ticket}, content_type="application/json"
    )
    assert expired.status_code == 400
    assert "older than" in expired.json()["detail"]
    whys = _refusals()
    for reason in ("made for another signature", "belongs to another person", "older than"):
        assert any(reason in why for why in whys), (reason, whys)
    assert not _signed(first)
    assert not _signed(second)
    third.refresh_from_db()
    assert third.status == "submitted"
    assert ReauthRequest.objects.get(ticket=ticket).redeemed_at is None


@pytest.mark.requirement("P110")
def test_an_offer_is_only_for_an_api_signing_endpoint_and_a_provider_signer(
    client, sso, settings, plant, employee
):
    """An address that is not a signing endpoint is refused 400; a person who signs
    with a local password gets no offer (400, they sign with the password); without
    a password or a ticket the signing endpoint says which to give."""
    (certificate,) = _verified(plant, employee, ["EXT-GMP"])
    client.force_login(employee)
    not_signing = client.post(
        OFFERS, {"signing_url": reverse("api:records")}, content_type="application/json"
    )
    assert not_signing.status_code == 400
    assert "not an API signing endpoint" in str(not_signing.json())
    password_signer = client.post(
        OFFERS, {"signing_url": _sign_url(certificate)}, content_type="application/json"
    )
    assert password_signer.status_code == 400
    assert "You sign with your password" in str(password_signer.json())
    neither = client.post(_sign_url(certificate), {}, content_type="application/json")
    assert neither.status_code == 400
    assert "exactly one of the two" in str(neither.json())
    assert not _signed(certificate)


@pytest.mark.requirement("P110")
def test_the_openapi_schema_documents_ticket_signing(client):
    """The schema has the offer endpoint and `reauth_ticket` on the signing requests."""
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    assert "/api/v1/signatures/reauth/" in schema["paths"]
    operation = schema["paths"]["/api/v1/signatures/reauth/"]
    assert {"get", "post"} <= set(operation)
    for path in (
        "/api/v1/certificates/{id}/sign/",
        "/api/v1/assignments/{id}/sign/",
        "/api/v1/assessments/attempts/{id}/sign/",
        "/api/v1/audit/reviews/{id}/sign/",
    ):
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        fields = schema["components"]["schemas"][name]["properties"]
        assert {"password", "reauth_ticket"} <= set(fields), path
        assert "identity provider" in fields["reauth_ticket"]["description"]
