"""Signing through the API by a person who signs in through the identity provider
(issue 16, S1): the API's signing endpoints take the signer's password; a person
whose local password is turned off (QUALIFY_LOCAL_PASSWORDS=administrators, not a
break-glass administrator) is refused with a 400 that says to sign through the
provider, the refusal is audited and nothing is signed. docs/identity.md says how
such a person signs instead (the pages' re-authentication dialog)."""

import pytest
from django.urls import reverse

from qualify.audit.models import AuditEvent
from qualify.signatures.models import Signature
from qualify.training.models import TrainingRecord
from tests.identity.flows import sign_in
from tests.identity.support import verified_certificate
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

TURNED_OFF = "local passwords are turned off for your account"


@pytest.mark.requirement("P95", "S1")
def test_an_sso_signer_s_password_is_refused_by_the_api(client, sso, settings, plant, employee):
    """Signed in through the real provider, the employee posts their (still set)
    local password to the API's signature of their certificate's record: 400 naming
    the provider path, the refusal audited, no signature."""
    certificate = verified_certificate(plant, employee)
    settings.QUALIFY_LOCAL_PASSWORDS = "administrators"
    sign_in(client, sso, "employee")
    signatures = Signature.objects.count()
    answer = client.post(
        reverse("api:certificate-sign", args=[certificate.pk]),
        {"password": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 400, answer.content
    assert TURNED_OFF in answer.json()["detail"]
    assert "identity provider" in answer.json()["detail"]
    refusal = AuditEvent.objects.filter(action="signature.refused").last()
    assert refusal.actor_id == employee.pk
    assert TURNED_OFF in refusal.data["detail"]["why"]
    assert Signature.objects.count() == signatures
    assert not Signature.objects.filter(signer=employee).exists()


@pytest.mark.requirement("P95", "S1")
def test_where_local_passwords_are_allowed_the_api_signs_with_the_password(
    client, sso, settings, plant, employee
):
    """The same request with local passwords allowed for everyone signs (so the
    refusal above comes from the policy, not from the request)."""
    settings.QUALIFY_LOCAL_PASSWORDS = "everyone"
    certificate = verified_certificate(plant, employee)
    sign_in(client, sso, "employee")
    answer = client.post(
        reverse("api:certificate-sign", args=[certificate.pk]),
        {"password": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    record = TrainingRecord.objects.get(person__user=employee)
    assert Signature.objects.filter(
        object_type="training.trainingrecord", object_id=str(record.pk), signer=employee
    ).exists()
