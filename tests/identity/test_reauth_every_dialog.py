"""Re-authentication at signing in every signing dialog (issue 16, S1), against the
real provider: the shared signing fields ask a person signed in through the provider
for no password but offer the forced re-authentication, bound to exactly the pending
signature the page shows (meaning and record hash); the ticket the provider's answer
yields signs that one signature, once, and no other."""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.identity.models import ReauthRequest
from qualify.quality import services as quality
from qualify.signatures.models import Signature
from qualify.training import services as training
from qualify.training.models import Method
from tests.identity.flows import sign_in
from tests.identity.support import verified_certificate
from tests.personas import PASSWORD
from tests.training.support import creds

pytestmark = pytest.mark.django_db

OFFER = re.compile(r'name="reauth_for" value="([^"]+)"')
OWN_PASSWORD = re.compile(r'name="(?:[a-z]+-)?password"')
TICKET = re.compile(r'<input type="hidden" name="([^"]*reauth_ticket)" value="([^"]+)"')


@dataclass
class Dialog:
    signer: str
    url: str  # the page showing the dialog
    data: dict[str, Any]
    meaning: str
    post_url: str = ""  # where its form posts, when not to the page itself

    @property
    def target(self) -> str:
        return self.post_url or self.url


def _obsolete(plant, employee):
    document = plant.document("SOP-100")
    return Dialog(
        "qa",
        reverse("web:document_obsolete", args=[document.number]),
        {"reason": "Replaced by SOP-200", "obsolete_from": ""},
        "approved",
    )


def _periodic_review(plant, employee):
    document = plant.document("SOP-101")
    return Dialog(
        "qa",
        reverse("web:document_review", args=[document.number]),
        {"comment": "Checked against the current process: still right."},
        "reviewed",
    )


def _revision_approval(plant, employee):
    version = plant.draft(plant.document("SOP-102"), "2")
    return Dialog(
        "qa",
        reverse("web:document_version_approve", args=[version.pk]),
        {"effective_from": "", "reason": "", "window_exception_reason": ""},
        "approved",
    )


def _external_certificate(plant, employee):
    """The person signs the record made from their verified certificate (SignForm,
    the trainer pages' signing fields)."""
    certificate = verified_certificate(plant, employee)
    return Dialog(
        "employee",
        reverse("web:employee_certificate", args=[certificate.pk]),
        {},
        "completed_training",
    )


def _change_control_approval(plant, employee):
    """The approval on the change control's page, posted to its own address."""
    cc = quality.change_control_create(
        actor=plant.doc_controller,
        number="CC-2026-031",
        title="New stopper bowl",
        description="Replace the stopper bowl on line 2",
        reason="Jams",
        risk="medium",
        planned_effective_date=(timezone.now() + timezone.timedelta(days=40)).date(),
    )
    return Dialog(
        "qa",
        reverse("web:quality_detail", args=["change-controls", cc.pk]),
        {"comment": "Go"},
        "approved",
        post_url=reverse("web:quality_cc_approve", args=[cc.pk]),
    )


def _record_correction(plant, employee):
    """The trainer corrects an on-the-job record they signed: the trainee signs on
    the same screen with a password, the trainer through the provider."""
    _trainer, ttt = plant.qualified_trainer()
    ojt = plant.requirement(
        "FILL-OJT", method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Gown"
    )
    ann = plant.person("Ann", job_function=plant.operators)
    record = training.record_on_the_job(
        actor=plant.trainer_user,
        trainee=ann,
        requirement=ojt,
        attested_at=timezone.now() - timezone.timedelta(days=1),
        trainee_credentials=creds(ann.user),
        trainer_credentials=creds(plant.trainer_user),
    )
    return Dialog(
        "trainer",
        reverse("web:coordinator_record_correct", args=[record.pk]),
        {
            "reason": "The observation notes were missing",
            "notes": "Observed on line 2",
            "trainee_username": ann.user.username,
            "trainee_password": PASSWORD,
        },
        "trained_by",
    )


DIALOGS = {
    "document obsolete": _obsolete,
    "periodic review": _periodic_review,
    "revision approval": _revision_approval,
    "external certificate": _external_certificate,
    "change control approval": _change_control_approval,
    "record correction by the trainer": _record_correction,
}


def _reauthenticate(client, sso, dialog: Dialog) -> tuple[str, str]:
    """On the signing page, press "Re-authenticate", sign in again at the provider;
    return the ticket field's name and the ticket the page then carries."""
    page = client.get(dialog.url).content.decode()
    assert "Re-authenticate with Example IdP to sign" in page
    assert not OWN_PASSWORD.search(page)  # the signer's (a trainee's may be on the page)
    start = client.post(reverse("identity:sign_reauth"), {"reauth_for": OFFER.search(page)[1]})
    assert start.status_code == 302, start.content
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["prompt"] == ["login"]
    assert query["max_age"] == ["0"]
    back = client.get(sso.answer(start["Location"], dialog.signer))
    assert back.status_code == 302
    assert back["Location"].startswith(dialog.url + "?reauth=")
    confirm = client.get(back["Location"]).content.decode()
    assert "Example IdP re-authenticated you for this signature" in confirm
    found = TICKET.search(confirm)
    return found[1], found[2]


@pytest.mark.requirement("P80", "P55", "S1")
@pytest.mark.parametrize("make", DIALOGS.values(), ids=DIALOGS.keys())
def test_each_signing_dialog_signs_through_the_provider(client, sso, plant, employee, make):
    """The dialog offers the forced re-authentication instead of a password; the
    ticket signs this record once, and the signature's audit record keeps the
    provider's evidence and the S1 session rule."""
    dialog = make(plant, employee)
    sign_in(client, sso, dialog.signer)
    field, ticket = _reauthenticate(client, sso, dialog)
    request = ReauthRequest.objects.get(ticket=ticket)
    assert request.meaning == dialog.meaning
    before = set(Signature.objects.values_list("pk", flat=True))
    signed = client.post(dialog.target, {**dialog.data, field: ticket})
    assert signed.status_code == 302, signed.content.decode()
    signature = Signature.objects.exclude(pk__in=before).get(signer__username=dialog.signer)
    assert (signature.signer.username, signature.meaning) == (dialog.signer, dialog.meaning)
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    authn = event.data["detail"]["authentication"]
    assert authn["session_rule"] == "first signing in the session: both components"
    assert authn["reauthentication"]["provider"] == "oidc"
    assert authn["reauthentication"]["acr"] == "urn:example:password"
    request.refresh_from_db()
    assert request.redeemed_at is not None


@pytest.mark.requirement("P80", "S1")
@pytest.mark.parametrize("make", DIALOGS.values(), ids=DIALOGS.keys())
def test_without_a_ticket_the_dialog_signs_nothing(client, sso, plant, employee, make):
    """Pressing "Sign" before re-authenticating (or with a password) signs nothing."""
    dialog = make(plant, employee)
    sign_in(client, sso, dialog.signer)
    before = Signature.objects.count()
    refused = client.post(dialog.target, {**dialog.data, "password": "idp-password-1"})
    assert refused.status_code != 302
    assert "Re-authenticate with Example IdP first" in refused.content.decode()
    assert Signature.objects.count() == before


@pytest.mark.requirement("P80", "P55")
def test_a_ticket_for_one_signature_signs_no_other(client, sso, plant, employee):
    """A ticket obtained for making SOP-100 obsolete is refused, audited, for SOP-103
    (same meaning, another record) and for SOP-100's periodic review (same record,
    another meaning); it still signs its own signature afterwards."""
    own = _obsolete(plant, employee)
    other_record = Dialog(
        "qa",
        reverse("web:document_obsolete", args=[plant.document("SOP-103").number]),
        own.data,
        "approved",
    )
    other_meaning = Dialog(
        "qa",
        reverse("web:document_review", args=["SOP-100"]),
        {"comment": "Still right."},
        "reviewed",
    )
    sign_in(client, sso, "qa")
    field, ticket = _reauthenticate(client, sso, own)
    before = Signature.objects.count()
    for elsewhere in (other_record, other_meaning):
        refused = client.post(elsewhere.url, {**elsewhere.data, field: ticket})
        assert refused.status_code != 302
        assert "made for another signature" in refused.content.decode()
        why = AuditEvent.objects.filter(action="signature.refused").last().data["detail"]["why"]
        assert "made for another signature" in why
    assert Signature.objects.count() == before
    assert client.post(own.url, {**own.data, field: ticket}).status_code == 302
    # Spent: a second use is refused.
    again = client.post(own.url.replace("SOP-100", "SOP-103"), {**own.data, field: ticket})
    assert "already used" in again.content.decode()


@pytest.mark.requirement("P80")
def test_an_offer_is_honoured_only_for_whom_the_page_made_it(client, sso, plant, employee):
    """The re-authentication starts only from an offer a signing page made for this
    signer: a forged offer or another person's is refused, audited."""
    dialog = _obsolete(plant, employee)
    sign_in(client, sso, "qa")
    offer = OFFER.search(client.get(dialog.url).content.decode())[1]
    client.post(reverse("logout"))
    sign_in(client, sso, "employee")
    for token, why in (
        (offer, "shown to another person"),
        ("forged", "not made by a signing page"),
    ):
        answer = client.post(reverse("identity:sign_reauth"), {"reauth_for": token}, follow=True)
        assert why in answer.content.decode()
        refusal = AuditEvent.objects.filter(action="identity.reauth.refused").last()
        assert why in refusal.data["detail"]["why"]
    assert not ReauthRequest.objects.exists()
