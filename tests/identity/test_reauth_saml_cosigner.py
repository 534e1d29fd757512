"""Signing on another person's screen through the SAML IdP (issue 16, S1): the QA
approver of a matrix change or role exception, the trainee on a record correction
and the trainee on the on-the-job form, each linked to the real pysaml2 IdP with
their local password off, re-authenticate there as themselves (ForceAuthn, the
AuthnInstant checked after the request, their own NameID); the ticket is theirs,
bound to exactly one pending signature, and signs it once."""

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.accounts import roles
from qualify.accounts.models import RoleException
from qualify.audit.models import AuditEvent
from qualify.identity.models import ExternalIdentity, ReauthRequest
from qualify.signatures.models import Signature
from qualify.training.models import MatrixEntry, Method, Requirement, TrainingRecord
from tests.identity.saml_flows import (
    OFFER,
    TICKET,
    links_and_leaves,
    post_answer,
    reauthenticate,
    refusal_reason,
    sign_in,
)

pytestmark = pytest.mark.django_db

NAME = "Example SAML IdP"


def _saml_evidence(signature, user) -> dict:
    event = AuditEvent.objects.get(action="signature.applied", object_id=str(signature.pk))
    authentication = event.data["detail"]["authentication"]
    evidence = authentication["reauthentication"]
    assert evidence["method"] == "saml"
    assert evidence["subject"] == ExternalIdentity.objects.get(user=user, provider="saml").subject
    assert evidence["auth_time"] >= evidence["requested_at"][:19]
    assert authentication["session_rule"]
    return evidence


def _matrix_add(client, saml_sso, plant, coordinator, settings, code: str, *others: str):
    """The coordinator's matrix form naming the QA approver, who is linked to the
    SAML IdP; the requirements `others` made first (documents are signed with
    passwords, off once the approver is linked)."""
    requirement = plant.requirement(code, document=plant.document(code.removeprefix("RU-")))
    for other in others:
        plant.requirement(other, document=plant.document(other.removeprefix("RU-")))
    links_and_leaves(client, saml_sso, "qa", settings)
    client.force_login(coordinator)
    data = {
        "job_function": plant.operators.pk,
        "requirement": requirement.pk,
        "window_days": "14",
        "reason": "Operators clear the line",
        "qa_username": "qa",
    }
    return reverse("web:coordinator_matrix_add"), data


@pytest.mark.requirement("P106", "P100", "P105", "S1", "S2")
def test_the_qa_approver_re_authenticates_at_the_saml_idp_for_a_matrix_change_once(
    client, saml_sso, plant, coordinator, qa, settings
):
    """P106: named on the coordinator's screen, a QA approver linked to the SAML IdP
    gets no password field but ForceAuthn as themselves; their ticket signs the
    change with the SAML evidence. The IdP's answer posted again gives no second
    ticket, and the spent ticket signs no other change."""
    url, data = _matrix_add(
        client, saml_sso, plant, coordinator, settings, "RU-SOP-601", "RU-SOP-602"
    )
    named = client.post(url, data)
    assert named.status_code == 422
    page = named.content.decode()
    assert 'name="qa_password"' not in page
    assert f"signs here, on this screen, with their own {NAME} account" in page
    back, form = reauthenticate(client, saml_sso, OFFER.search(page)[1], "qa")
    assert "&reauth=" in back["Location"]
    assert ReauthRequest.objects.get(meaning="approved").user == qa
    returned = client.get(back["Location"]).content.decode()
    assert "Operators clear the line" in returned
    tickets = dict(TICKET.findall(returned))
    assert list(tickets) == ["reauth_ticket"]
    assert client.post(url, {**data, **tickets}).status_code == 302
    entry = MatrixEntry.objects.get(requirement__code="RU-SOP-601")
    signature = Signature.objects.get(object_type="training.matrixentry", object_id=str(entry.pk))
    assert (signature.signer, signature.meaning) == (qa, "approved")
    _saml_evidence(signature, qa)
    # The IdP's answer replayed: no pending request left for it, no second ticket.
    replayed = post_answer(client, form)
    assert "reauth=" not in replayed["Location"]
    assert ReauthRequest.objects.filter(authenticated_at__isnull=False).count() == 1
    # The spent ticket, for another change: nothing signed.
    other = Requirement.objects.get(code="RU-SOP-602")
    replay = client.post(url, {**data, "requirement": other.pk, **tickets})
    assert replay.status_code == 422
    assert "already used" in replay.content.decode()
    assert not MatrixEntry.objects.filter(requirement=other).exists()


@pytest.mark.requirement("P106", "P105", "S1")
def test_the_coordinator_cannot_answer_the_saml_idp_in_the_qa_approver_s_place(
    client, saml_sso, plant, coordinator, qa, settings
):
    """P106: the approver's ForceAuthn answered at the IdP by someone else (another
    NameID) is refused and audited; no ticket, no change."""
    url, data = _matrix_add(client, saml_sso, plant, coordinator, settings, "RU-SOP-603")
    page = client.post(url, data).content.decode()
    back, _ = reauthenticate(client, saml_sso, OFFER.search(page)[1], "trainer")
    assert "reauth=" not in back["Location"]
    assert "another person, not the signer" in refusal_reason()
    refused_for = AuditEvent.objects.filter(action="identity.reauth.refused").last()
    assert refused_for.object_id == str(qa.pk)
    assert not ReauthRequest.objects.filter(authenticated_at__isnull=False).exists()
    refused = client.post(url, data)
    assert refused.status_code == 422
    assert f"Re-authenticate with {NAME} first" in refused.content.decode()
    assert not MatrixEntry.objects.exists()


@pytest.mark.requirement("P106", "S1")
def test_a_saml_idp_that_ignores_force_authn_for_the_qa_approver_is_refused(
    client, saml_sso, plant, coordinator, qa, settings
):
    """P106: the approver's IdP session answered without asking again (ForceAuthn
    ignored) reports an AuthnInstant before the request: refused and audited, no
    ticket, no change."""
    url, data = _matrix_add(client, saml_sso, plant, coordinator, settings, "RU-SOP-604")
    time.sleep(1.1)  # the AuthnInstant has whole seconds
    saml_sso.control(mode="ignore_force")
    page = client.post(url, data).content.decode()
    back, _ = reauthenticate(client, saml_sso, OFFER.search(page)[1], "qa")
    assert "reauth=" not in back["Location"]
    assert "(ForceAuthn ignored)" in refusal_reason()
    assert not ReauthRequest.objects.filter(authenticated_at__isnull=False).exists()
    assert client.post(url, data).status_code == 422
    assert not MatrixEntry.objects.exists()


def _exception_page(client, saml_sso, admin, settings):
    links_and_leaves(client, saml_sso, "qa", settings)
    client.force_login(admin)
    return {
        "exception-roles": [roles.EMPLOYEE],
        "exception-reason": "Single-person site",
        "exception-qa_username": "qa",
    }


@pytest.mark.requirement("P106", "P101", "P105", "U3", "S1")
def test_the_qa_approver_re_authenticates_at_the_saml_idp_for_a_role_exception(
    client, saml_sso, admin, employee, trainer, qa, settings
):
    """P106: on the administrator's screen the QA approver re-authenticates at the
    SAML IdP as themselves for the exception on this account; the ticket signs it
    once and no exception on another account."""
    form = _exception_page(client, saml_sso, admin, settings)
    url = reverse("web:admin_user_exception", args=[employee.pk])
    page = client.post(url, form).content.decode()
    assert 'name="exception-qa_password"' not in page
    back, _ = reauthenticate(client, saml_sso, OFFER.search(page)[1], "qa")
    tickets = dict(TICKET.findall(client.get(back["Location"]).content.decode()))
    assert list(tickets) == ["exception-reauth_ticket"]
    assert client.post(url, {**form, **tickets}).status_code == 302
    exception = RoleException.objects.get(user=employee)
    assert exception.approved_by == qa
    signature = Signature.objects.get(
        object_type="accounts.roleexception", object_id=str(exception.pk)
    )
    _saml_evidence(signature, qa)
    other = reverse("web:admin_user_exception", args=[trainer.pk])
    replay = client.post(other, {**form, **tickets})
    assert replay.status_code == 422
    assert "already used" in replay.content.decode()
    assert not RoleException.objects.filter(user=trainer).exists()


@pytest.mark.requirement("P109", "P101", "S1")
def test_a_role_exception_ticket_is_refused_when_the_account_changed_since(
    client, saml_sso, admin, employee, qa, settings
):
    """P109: the QA approver's ticket is bound to the account as it was when they
    re-authenticated; the account changed before the exception is signed, the
    ticket is refused (asks again), nothing is signed and the ticket is not spent."""
    form = _exception_page(client, saml_sso, admin, settings)
    url = reverse("web:admin_user_exception", args=[employee.pk])
    page = client.post(url, form).content.decode()
    back, _ = reauthenticate(client, saml_sso, OFFER.search(page)[1], "qa")
    tickets = dict(TICKET.findall(client.get(back["Location"]).content.decode()))
    assert list(tickets) == ["exception-reauth_ticket"]
    employee.email = "olivia.changed@plant.example"
    employee.save(update_fields=["email"])
    changed = client.post(url, {**form, **tickets})
    assert changed.status_code == 422
    assert "made for another signature (or the record changed" in changed.content.decode()
    assert not RoleException.objects.filter(user=employee).exists()
    ticket = ReauthRequest.objects.get(ticket=tickets["exception-reauth_ticket"])
    assert ticket.redeemed_at is None
    # The page offers the re-authentication again: the old ticket is not for this account.
    assert not TICKET.search(client.post(url, form).content.decode())


def _correction_page(client, saml_sso, plant, employee, coordinator, settings):
    requirement = plant.requirement("RU-SOP-700", document=plant.document("SOP-700"))
    olivia = plant.person("Olivia", user=employee, job_function=plant.operators)
    original = plant.read(olivia, requirement)
    links_and_leaves(client, saml_sso, "employee", settings)
    client.force_login(coordinator)
    return reverse("web:coordinator_record_correct", args=[original.pk]), original


CORRECTION = {"reason": "Where it was read was not noted", "notes": "Read on the line terminal"}


@pytest.mark.requirement("P107", "P102", "P105", "R1", "S1")
def test_the_trainee_re_authenticates_at_the_saml_idp_for_a_correction(
    client, saml_sso, plant, employee, coordinator, settings
):
    """P107: no trainee password on the coordinator's screen; the trainee answers
    ForceAuthn as themselves, their ticket signs the correction with the SAML
    evidence, and the spent ticket signs no further correction."""
    url, original = _correction_page(client, saml_sso, plant, employee, coordinator, settings)
    page = client.get(url).content.decode()
    assert 'name="trainee_password"' not in page
    back, _ = reauthenticate(client, saml_sso, OFFER.search(page)[1], "employee")
    assert back["Location"].startswith(url + "?reauth=")
    tickets = dict(TICKET.findall(client.get(back["Location"]).content.decode()))
    assert list(tickets) == ["trainee-reauth_ticket"]
    assert client.post(url, {**CORRECTION, **tickets}).status_code == 302
    corrected = TrainingRecord.objects.get(supersedes=original)
    signature = Signature.objects.get(
        object_type="training.trainingrecord", object_id=str(corrected.pk)
    )
    assert signature.signer == employee
    _saml_evidence(signature, employee)
    again = reverse("web:coordinator_record_correct", args=[corrected.pk])
    replay = client.post(again, {**CORRECTION, "notes": "Line 3", **tickets})
    assert replay.status_code == 422
    assert "already used" in replay.content.decode()


@pytest.mark.requirement("P107", "P105", "S1")
def test_the_coordinator_cannot_answer_the_saml_idp_in_the_trainee_s_place(
    client, saml_sso, plant, employee, coordinator, settings
):
    """P107: the trainee's ForceAuthn answered by someone else is refused and
    audited; nothing is corrected."""
    url, original = _correction_page(client, saml_sso, plant, employee, coordinator, settings)
    back, _ = reauthenticate(
        client, saml_sso, OFFER.search(client.get(url).content.decode())[1], "qa"
    )
    assert "reauth=" not in back["Location"]
    assert "another person, not the signer" in refusal_reason()
    refused = client.post(url, CORRECTION)
    assert refused.status_code == 422
    assert not TrainingRecord.objects.filter(supersedes=original).exists()


def _ojt_page(client, saml_sso, plant, employee, settings):
    _trainer, ttt = plant.qualified_trainer()
    ojt = plant.requirement(
        "FILL-OJT", method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Gown"
    )
    trainee = plant.person("Olivia", user=employee, job_function=plant.operators)
    plant.matrix(ojt)
    links_and_leaves(client, saml_sso, "employee", settings)
    sign_in(client, saml_sso, "trainer")
    url = f"{reverse('web:trainer_ojt')}?requirement={ojt.pk}&trainee={trainee.pk}"
    return url, {"requirement": ojt.pk, "trainee": trainee.pk}


@pytest.mark.requirement("P107", "P96", "P105", "S1")
def test_the_on_the_job_trainee_re_authenticates_at_the_saml_idp(
    client, saml_sso, plant, employee, settings
):
    """P107: on the trainer's on-the-job form (the trainer signed in through SAML),
    a wrong person answering the trainee's ForceAuthn is refused and audited; the
    trainee then answers as themselves, the trainer for their own signature, and
    both tickets sign the record once, each with the SAML evidence."""
    url, target = _ojt_page(client, saml_sso, plant, employee, settings)
    page = client.get(url).content.decode()
    assert 'name="trainee-password"' not in page
    assert f"signs here, on this screen, with their own {NAME} account" in page
    trainee_offer, trainer_offer = OFFER.findall(page)
    wrong, _ = reauthenticate(client, saml_sso, trainee_offer, "trainer")
    assert "reauth=" not in wrong["Location"]
    assert "another person, not the signer" in refusal_reason()
    trainee_offer, trainer_offer = OFFER.findall(client.get(url).content.decode())
    back, _ = reauthenticate(client, saml_sso, trainee_offer, "employee")
    assert back["Location"].startswith(url + "&reauth=")
    reauthenticate(client, saml_sso, trainer_offer, "trainer")
    tickets = dict(TICKET.findall(client.get(url).content.decode()))
    assert set(tickets) == {"trainee-reauth_ticket", "trainer-reauth_ticket"}
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    done = client.post(url, {**target, "attested_at": when, "item_0": "on", **tickets})
    assert "Signed by" in done.content.decode()
    record = TrainingRecord.objects.get(person__user=employee, requirement_id=target["requirement"])
    signed = {
        s.meaning: s
        for s in Signature.objects.filter(
            object_type="training.trainingrecord", object_id=str(record.pk)
        )
    }
    _saml_evidence(signed["completed_training"], employee)
    _saml_evidence(signed["trained_by"], plant.trainer_user)
    assert not ReauthRequest.objects.filter(
        ticket__in=tickets.values(), redeemed_at__isnull=True
    ).exists()
