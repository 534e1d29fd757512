"""From an empty database to a signature, at the test-client level (P27, U1, U4, S1):
`qualify setup` → the administrator signs in and creates an account for a person of
the HR feed → the person takes the link from the mail outbox and sets a password →
the administrator records the identity verification → the person acknowledges the
e-signature policy → the person signs the read-and-understand of their procedure.
Each gate on the way is checked closed before it opens."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from qualify.org import services as org
from qualify.signatures.models import Signature
from qualify.training.models import Assignment, AssignmentStatus, TrainingRecord
from tests.accounts.onboarding_support import OTHER, STRONG, last_link, path_of
from tests.training.support import Plant


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.requirement("P27", "U1", "U4", "S1")
def test_from_setup_to_the_first_signature(
    db, request, monkeypatch, django_capture_on_commit_callbacks
):
    # 1. First run.
    monkeypatch.setenv("QUALIFY_SETUP_PASSWORD", STRONG)
    anonymous = Client()
    assert "qualify setup" in anonymous.get(reverse("login")).content.decode()
    call_command(
        "setup",
        "--no-input",
        "--username=ada",
        "--name=Ada Admin",
        "--email=ada@plant.example",
        "--installation=Cork plant",
        "--site-code=CORK",
        "--site-name=Cork",
        "--time-zone=Europe/Dublin",
        stdout=io.StringIO(),
    )
    admin = _logged_in_admin()
    # The plant's other people (coordinator, document controller, QA) and a procedure
    # the operators must read.
    plant = Plant(
        admin=admin.user,
        coordinator=request.getfixturevalue("coordinator"),
        doc_controller=request.getfixturevalue("doc_controller"),
        qa=request.getfixturevalue("qa"),
        trainer=request.getfixturevalue("trainer"),
    )
    olga = org.person_create(
        actor=plant.coordinator,
        employee_number="E9001",
        full_name="Olga Operator",
        site=plant.site,
        email="olga@plant.example",
    )
    plant.hold(olga, plant.operators)
    requirement = plant.requirement("RU-SOP-001", document=plant.document("SOP-001"))
    plant.matrix(requirement)
    assignment = Assignment.objects.get(person=olga, status=AssignmentStatus.OPEN)

    # 2. The administrator creates Olga's account from the page.
    with django_capture_on_commit_callbacks(execute=True):
        created = admin.post(
            reverse("web:admin_user_new"),
            {"person": "E9001", "username": "olga", "roles": ["employee"]},
        )
    assert created.status_code == 302
    olga.refresh_from_db()
    account = olga.user
    assert account.username == "olga"
    assert _login(Client(), "olga", STRONG).status_code == 200  # no password yet

    # 3. Olga opens the link from her mail and sets her password.
    assert [m.to for m in mail.outbox] == [["olga@plant.example"]]
    link = path_of(last_link("olga@plant.example"))
    person = Client()
    person.get(link)
    weak = person.post(reverse("password_set"), {"password": "olga", "password_again": "olga"})
    assert weak.status_code == 422
    done = person.post(reverse("password_set"), {"password": OTHER, "password_again": OTHER})
    assert done.status_code == 302
    assert _login(person, "olga", OTHER).status_code == 302

    # 4. Not yet allowed to sign: identity not verified, policy not acknowledged.
    sign_url = reverse("web:employee_assignment", args=[assignment.pk])
    refused = person.post(sign_url, {"username": "olga", "password": OTHER})
    assert "may not sign yet" in refused.content.decode()
    assert not TrainingRecord.objects.filter(person=olga).exists()

    # 5. The administrator records the identity verification, with how.
    verified = admin.post(
        reverse("web:admin_user_identity", args=[account.pk]),
        {"identity-reason": "Passport checked by HR on the first day"},
    )
    assert verified.status_code == 302
    refused = person.post(sign_url, {"username": "olga", "password": OTHER})
    assert "may not sign yet" in refused.content.decode()

    # 6. Olga acknowledges the e-signature policy with her password.
    person.post(reverse("web:account_acknowledge"), {"password": OTHER})
    account.refresh_from_db()
    assert account.may_sign

    # 7. She signs the read-and-understand of SOP-001.
    signed = person.post(sign_url, {"username": "olga", "password": OTHER})
    record = TrainingRecord.objects.get(person=olga, requirement=requirement)
    assert signed.status_code == 302
    assert signed["Location"] == reverse("web:employee_record", args=[record.pk])
    signature = Signature.objects.get(
        object_type="training.trainingrecord", object_id=str(record.pk)
    )
    assert signature.signer_id == account.pk


class _Admin:
    def __init__(self, client, user):
        self.client, self.user = client, user

    def post(self, *args, **kwargs):
        return self.client.post(*args, **kwargs)


def _logged_in_admin() -> _Admin:
    from qualify.accounts.models import User

    client = Client()
    assert _login(client, "ada", STRONG).status_code == 302
    return _Admin(client, User.objects.get(username="ada"))
