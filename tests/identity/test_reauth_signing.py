"""Re-authentication at signing with single sign-on (S1, issue 16), against the real
provider: the read-and-understood dialog (the shared one of every signing form,
P113) sends the signer to the provider with prompt=login and max_age=0, the answer
is bound to this one pending signature, and the signature's audit record keeps the
provider's evidence and the session rule."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from qualify.audit.models import AuditEvent
from qualify.identity.models import ReauthRequest
from qualify.signatures.models import Signature
from qualify.signatures.services import Credentials, SignatureRefused, authenticate_signer
from qualify.training.models import Assignment, AssignmentStatus, TrainingRecord
from tests.identity.flows import press_reauthenticate, sign_in

pytestmark = pytest.mark.django_db


def _reauthenticate(client, sso, url, username="employee"):
    """Press "Re-authenticate" on the signing page, sign in again at the provider;
    return Qualify's answer to the provider's callback and the callback address."""
    start = press_reauthenticate(client, url)
    assert start.status_code == 302, start.content
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["prompt"] == ["login"]
    assert query["max_age"] == ["0"]
    assert query["code_challenge_method"] == ["S256"]
    callback = sso.answer(start["Location"], username)
    return client.get(callback), callback


def _refusals():
    return [
        e.data["detail"]["why"] for e in AuditEvent.objects.filter(action="identity.reauth.refused")
    ]


@pytest.mark.requirement("P55", "P113", "S1")
def test_a_signature_through_the_provider_keeps_its_evidence(client, sso, reading):
    """The dialog asks for re-authentication instead of a password; the returned
    ticket signs this assignment once; the signature's audit record keeps the
    provider, acr/amr, the authentication time and 'first signing' (S1)."""
    operator, _document, requirement, assignment = reading
    sign_in(client, sso, "employee")
    url = reverse("web:employee_assignment", args=[assignment.pk])
    page = client.get(url).content.decode()
    assert "Re-authenticate with Example IdP to sign" in page
    assert 'name="password"' not in page
    back, _ = _reauthenticate(client, sso, url)
    assert back.status_code == 302
    assert back["Location"].startswith(url + "?reauth=")
    confirm = client.get(back["Location"]).content.decode()
    assert "re-authenticated you for this signature" in confirm
    ticket = parse_qs(urlparse(back["Location"]).query)["reauth"][0]
    signed = client.post(url, {"reauth_ticket": ticket})
    record = TrainingRecord.objects.get(person=operator, requirement=requirement)
    assert signed.status_code == 302, signed.content.decode()
    signature = Signature.objects.get(
        object_type="training.trainingrecord", object_id=str(record.pk)
    )
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    authn = event.data["detail"]["authentication"]
    assert authn["session_rule"] == "first signing in the session: both components"
    evidence = authn["reauthentication"]
    assert evidence["provider"] == "oidc"
    assert evidence["method"] == "oidc"
    assert evidence["amr"] == ["pwd"]
    assert evidence["acr"] == "urn:example:password"
    assert evidence["auth_time"] >= evidence["requested_at"][:19]
    request = ReauthRequest.objects.get(ticket=ticket)
    assert request.redeemed_at is not None
    # The ticket is spent: a second use is refused.
    with pytest.raises(SignatureRefused, match="already used"):
        authenticate_signer(
            actor=request.user,
            credentials=Credentials(reauth_ticket=ticket, subject=assignment),
            meaning="read_and_understood",
        )


@pytest.mark.requirement("P55", "S1")
def test_a_later_signing_in_the_session_is_recorded_as_such(client, sso, reading, plant):
    """The second signature of the session re-authenticates again (one ticket, one
    signature) and its audit record says 'later signing'."""
    operator, _document, _requirement, assignment = reading
    other_requirement = plant.requirement("RU-SOP-015", document=plant.document("SOP-015"))
    plant.matrix(other_requirement)
    second = Assignment.objects.get(person=operator, requirement=other_requirement)
    sign_in(client, sso, "employee")
    for item in (assignment, second):
        url = reverse("web:employee_assignment", args=[item.pk])
        back, _ = _reauthenticate(client, sso, url)
        ticket = parse_qs(urlparse(back["Location"]).query)["reauth"][0]
        assert client.post(url, {"reauth_ticket": ticket}).status_code == 302
    rules = [
        e.data["detail"]["authentication"]["session_rule"]
        for e in AuditEvent.objects.filter(action="signature.applied").order_by("seq")
        if e.data["actor_username"] == "employee"
    ]
    assert rules == [
        "first signing in the session: both components",
        "later signing in the same session: one component",
    ]


@pytest.mark.requirement("P55")
def test_a_stale_auth_time_is_refused(client, sso, reading):
    """A provider that reuses its session instead of asking again (auth_time before
    the request) is refused, audited, and the signer is told why; nothing is signed."""
    _operator, _document, _requirement, assignment = reading
    sign_in(client, sso, "employee")
    time.sleep(1.1)  # auth_time has whole seconds: the sign-in lies in an earlier one
    sso.control(mode="ignore_prompt")
    url = reverse("web:employee_assignment", args=[assignment.pk])
    back, _ = _reauthenticate(client, sso, url)
    assert back.status_code == 302
    assert "reauth=" not in back["Location"]
    page = client.get(back["Location"]).content.decode()
    assert "did not ask for your credentials again" in page
    assert any("did not ask for your credentials again" in w for w in _refusals())
    assert not Signature.objects.filter(signer__username="employee").exists()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.OPEN


@pytest.mark.requirement("P55")
def test_a_replayed_answer_and_a_ticket_for_another_signature_are_refused(
    client, sso, reading, plant
):
    """The provider's answer is used once; its ticket signs only the pending
    signature it was requested for (meaning and record hash)."""
    operator, _document, _requirement, assignment = reading
    other_requirement = plant.requirement("RU-SOP-016", document=plant.document("SOP-016"))
    plant.matrix(other_requirement)
    other = Assignment.objects.get(person=operator, requirement=other_requirement)
    sign_in(client, sso, "employee")
    url = reverse("web:employee_assignment", args=[assignment.pk])
    back, callback = _reauthenticate(client, sso, url)
    ticket = parse_qs(urlparse(back["Location"]).query)["reauth"][0]
    replay = client.get(callback)
    assert "reauth=" not in replay["Location"]
    assert any("already used" in w for w in _refusals())
    user = ReauthRequest.objects.get(ticket=ticket).user
    with pytest.raises(SignatureRefused, match="another signature"):
        authenticate_signer(
            actor=user,
            credentials=Credentials(reauth_ticket=ticket, subject=other),
            meaning="read_and_understood",
        )
    refused = AuditEvent.objects.filter(action="signature.refused").last()
    assert "another signature" in refused.data["detail"]["why"]
    # Still good for its own signature.
    assert client.post(url, {"reauth_ticket": ticket}).status_code == 302


@pytest.mark.requirement("P55")
def test_a_signer_who_cannot_reauthenticate_is_refused_with_a_clear_message(
    client, settings, reading, employee
):
    """Local passwords off and no link to the provider: the password signature is
    refused with the reason, audited."""
    from tests.personas import PASSWORD

    _operator, _document, _requirement, assignment = reading
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    client.force_login(employee)
    url = reverse("web:employee_assignment", args=[assignment.pk])
    page = client.post(url, {"username": "employee", "password": PASSWORD}).content.decode()
    assert "re-authenticating with your identity provider" in page
    refused = AuditEvent.objects.filter(action="signature.refused").last()
    assert "local passwords are turned off" in refused.data["detail"]["why"]
    assert not Signature.objects.filter(signer__username="employee").exists()


@pytest.mark.requirement("P53")
def test_logout_ends_the_session_and_goes_to_the_provider(client, sso):
    from qualify.accounts import roles
    from tests.personas import make_user

    make_user("operator", roles.EMPLOYEE)
    sign_in(client, sso, "operator")
    response = client.post(reverse("identity:logout"))
    assert "_auth_user_id" not in client.session
    assert response["Location"].startswith(sso.issuer + "/logout/")
    assert "post_logout_redirect_uri=" in response["Location"]
