"""External certificates: submitted, verified by a coordinator who signs, then signed by
the person; only then the record counts (P38, P41, Q4, S2, A1)."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from qualify.guards import AlreadyDone
from qualify.signatures.services import SignatureRefused, signatures_of
from qualify.training import engine
from qualify.training import services as training
from qualify.training.models import (
    AssignmentStatus,
    CertificateStatus,
    ExternalCertificate,
    Method,
    TrainingRecord,
)
from tests import files
from tests.training.support import DAY, creds, events_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def ttt(plant):
    return plant.requirement("TTT", method=Method.EXTERNAL)


@pytest.fixture
def tom(plant, ttt):
    """A new trainer whose train-the-trainer training is assigned to them."""
    jf = plant.job_function("TRN", "Trainer")
    plant.matrix(ttt, jf)
    return plant.person("Tom", job_function=jf)


def _pdf(name="cert.pdf"):
    return ContentFile(files.pdf("Train the trainer, passed"), name=name)


def _submit(actor, person, requirement, **kw):
    kw.setdefault("issuer", "GMP Academy")
    kw.setdefault("completed_at", timezone.now() - 10 * DAY)
    kw.setdefault("file", _pdf())
    return training.certificate_submit(actor=actor, person=person, requirement=requirement, **kw)


@pytest.mark.requirement("P38", "P41", "Q4")
def test_a_verified_and_signed_certificate_makes_the_person_a_qualified_trainer(
    plant, ttt, tom, coordinator
):
    """Submitted, the certificate is no record; verified and signed "verified" by a
    coordinator, it becomes a record that still does not count; signed by the person,
    it counts and completes their assignment."""
    certificate = _submit(tom.user, tom, ttt, valid_until=dt.date.today() + dt.timedelta(days=700))
    assert certificate.status == CertificateStatus.SUBMITTED
    assert not TrainingRecord.objects.filter(person=tom).exists()
    assert not engine.is_qualified(tom, ttt, at=timezone.now())

    verified = training.certificate_verify(
        actor=coordinator, certificate=certificate, credentials=creds(coordinator)
    )
    assert verified.status == CertificateStatus.VERIFIED
    record = verified.record
    assert record.method == Method.EXTERNAL
    assert record.completed_at == certificate.completed_at == record.attested_at
    assert (
        record.evidence_sha256 == hashlib.sha256(files.pdf("Train the trainer, passed")).hexdigest()
    )
    assert [s.meaning for s in signatures_of(verified)] == ["certificate_verified"]
    assert signatures_of(verified).get().signer == coordinator
    # The trainee's signature is missing: not yet qualified, assignment still open.
    answer = engine.qualification(tom, ttt, at=timezone.now())
    assert not answer.qualified
    assert "trainee_signature_missing" in [str(r) for r in answer.reasons]
    assert plant_open(tom, ttt)

    signed = training.certificate_sign(
        actor=tom.user, certificate=verified, credentials=creds(tom.user)
    )
    assert signed.completed_assignment.status == AssignmentStatus.COMPLETED
    assert engine.is_qualified(tom, ttt, at=timezone.now())
    assert [e.action for e in events_of(certificate)] == [
        "training.certificate.submitted",
        "training.certificate.verified",
    ]


def plant_open(person, requirement):
    return person.assignments.filter(requirement=requirement, status="open").exists()


@pytest.mark.requirement("P38")
@pytest.mark.parametrize(
    ("payload", "name", "words"),
    [
        (b"just some text, not a certificate", "cert.txt", "a PDF or an image"),
        (b"<html><script>alert(1)</script></html>", "cert.pdf", "cannot be accepted"),
        (
            files.pdf("x", catalog_extra="/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
            "cert.pdf",
            "JavaScript",
        ),
    ],
)
def test_a_certificate_that_is_not_a_pdf_or_an_image_is_refused_and_nothing_saved(
    plant, ttt, tom, payload, name, words
):
    with pytest.raises(ValidationError) as refused:
        _submit(tom.user, tom, ttt, file=ContentFile(payload, name=name))
    assert words in " ".join(refused.value.message_dict["file"])
    assert not ExternalCertificate.objects.exists()


@pytest.mark.requirement("P38")
def test_a_certificate_over_the_size_limit_is_refused(plant, ttt, tom, settings):
    settings.QUALIFY_MAX_UPLOAD_MB = 1
    big = files.pdf("x" * 10) + b"%" + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError) as refused:
        _submit(tom.user, tom, ttt, file=ContentFile(big, name="big.pdf"))
    assert "larger than 1 MB" in refused.value.message_dict["file"][0]
    assert not ExternalCertificate.objects.exists()


@pytest.mark.requirement("P38")
def test_an_image_certificate_is_accepted(plant, ttt, tom):
    certificate = _submit(tom.user, tom, ttt, file=ContentFile(files.png(), name="scan.png"))
    assert certificate.content_type == "image/png"


@pytest.mark.requirement("P38", "T1")
def test_dates_are_checked(plant, ttt, tom):
    with pytest.raises(ValidationError, match="future"):
        _submit(tom.user, tom, ttt, completed_at=timezone.now() + DAY)
    with pytest.raises(ValidationError, match="expired"):
        _submit(tom.user, tom, ttt, valid_until=dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="before it was earned"):
        _submit(
            tom.user,
            tom,
            ttt,
            completed_at=timezone.now() - 10 * DAY,
            valid_until=(timezone.now() - 20 * DAY).date(),
        )
    assert not ExternalCertificate.objects.exists()


@pytest.mark.requirement("P38", "P21")
def test_a_second_submission_while_one_waits_is_answered_with_the_first(plant, ttt, tom):
    first = _submit(tom.user, tom, ttt)
    with pytest.raises(AlreadyDone) as again:
        _submit(tom.user, tom, ttt)
    assert again.value.existing == first
    assert ExternalCertificate.objects.count() == 1


@pytest.mark.requirement("P38", "S2")
def test_only_a_coordinator_verifies_and_never_their_own(plant, ttt, tom, coordinator, trainer):
    certificate = _submit(coordinator, tom, ttt)
    with pytest.raises(PermissionDenied):
        training.certificate_verify(
            actor=tom.user, certificate=certificate, credentials=creds(tom.user)
        )
    with pytest.raises(PermissionDenied):
        training.certificate_verify(
            actor=trainer, certificate=certificate, credentials=creds(trainer)
        )
    chloe = plant.person("Chloe", user=coordinator)
    own = _submit(coordinator, chloe, ttt)
    with pytest.raises(ValidationError, match="own certificate"):
        training.certificate_verify(
            actor=coordinator, certificate=own, credentials=creds(coordinator)
        )
    assert not TrainingRecord.objects.exists()


@pytest.mark.requirement("P38", "S1")
def test_a_wrong_password_verifies_nothing(plant, ttt, tom, coordinator):
    certificate = _submit(tom.user, tom, ttt)
    with pytest.raises(SignatureRefused):
        training.certificate_verify(
            actor=coordinator, certificate=certificate, credentials=creds(coordinator, "wrong")
        )
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUBMITTED
    assert not TrainingRecord.objects.exists()


@pytest.mark.requirement("P38", "A1")
def test_a_rejected_certificate_records_nothing_and_keeps_the_reason(plant, ttt, tom, coordinator):
    certificate = _submit(tom.user, tom, ttt)
    with pytest.raises(ValidationError, match="reason"):
        training.certificate_reject(actor=coordinator, certificate=certificate, reason=" ")
    rejected = training.certificate_reject(
        actor=coordinator, certificate=certificate, reason="Not the issuer's template"
    )
    assert rejected.status == CertificateStatus.REJECTED
    assert events_of(certificate, "training.certificate.rejected")[0].reason == (
        "Not the issuer's template"
    )
    with pytest.raises(ValidationError, match="rejected"):
        training.certificate_verify(
            actor=coordinator, certificate=certificate, credentials=creds(coordinator)
        )
    assert not TrainingRecord.objects.exists()


@pytest.mark.requirement("P38", "P21")
def test_verifying_twice_and_signing_twice_write_nothing_new(plant, ttt, tom, coordinator):
    certificate = _submit(tom.user, tom, ttt)
    training.certificate_verify(
        actor=coordinator, certificate=certificate, credentials=creds(coordinator)
    )
    with pytest.raises(AlreadyDone):
        training.certificate_verify(
            actor=coordinator, certificate=certificate, credentials=creds(coordinator)
        )
    with pytest.raises(PermissionDenied):
        training.certificate_sign(
            actor=coordinator, certificate=certificate, credentials=creds(coordinator)
        )
    training.certificate_sign(actor=tom.user, certificate=certificate, credentials=creds(tom.user))
    with pytest.raises(AlreadyDone):
        training.certificate_sign(
            actor=tom.user, certificate=certificate, credentials=creds(tom.user)
        )
    assert TrainingRecord.objects.count() == 1


@pytest.mark.requirement("L4", "P43")
def test_a_certificate_for_a_locked_item_is_refused_and_audited(plant, ttt, coordinator):
    """L4: an external certificate for an item whose prerequisite is not complete and
    valid is refused with the prerequisite named, audited, and nothing is stored;
    once the prerequisite is signed, it is accepted."""
    from tests.training.locking import lock_behind

    pre = plant.requirement("PRE-RU", document=plant.document("SOP-PRE"))
    jf = plant.job_function("TRN", "Trainer")
    lock_behind(plant, ttt, pre, jf)
    tom = plant.person("Tom", job_function=jf)
    with pytest.raises(ValidationError) as refused:
        _submit(tom.user, tom, ttt)
    assert "TTT cannot be started before its prerequisite" in str(refused.value)
    assert not ExternalCertificate.objects.filter(person=tom).exists()
    (event,) = events_of(tom, "training.record.prerequisite_refused")
    assert event.data["detail"]["missing"] == ["PRE-RU"]
    plant.read(tom, pre)
    assert _submit(tom.user, tom, ttt).status == CertificateStatus.SUBMITTED


@pytest.mark.requirement("L4", "P72")
def test_verifying_a_certificate_for_an_item_locked_since_it_was_submitted_is_refused(
    plant, ttt, coordinator
):
    """P72: a certificate submitted before the path put its item behind a prerequisite
    cannot be verified while the prerequisite is not complete and valid: refused by
    the one prerequisite check with the prerequisite named, audited, no signature and
    no record; the certificate still awaits verification, which succeeds once the
    prerequisite is signed."""
    from tests.training.locking import lock_behind

    jf = plant.job_function("TRN", "Trainer")
    tom = plant.person("Tom", job_function=jf)
    certificate = _submit(tom.user, tom, ttt)
    pre = plant.requirement("PRE-RU", document=plant.document("SOP-PRE"))
    lock_behind(plant, ttt, pre, jf)

    with pytest.raises(ValidationError) as refused:
        training.certificate_verify(
            actor=coordinator, certificate=certificate, credentials=creds(coordinator)
        )
    assert "TTT cannot be started before its prerequisite" in str(refused.value)
    assert "PRE-RU" in str(refused.value)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUBMITTED
    assert not signatures_of(certificate).exists()
    assert not TrainingRecord.objects.filter(person=tom, requirement=ttt).exists()
    (event,) = events_of(tom, "training.record.prerequisite_refused")
    assert event.data["detail"]["missing"] == ["PRE-RU"]
    assert event.actor_id == coordinator.pk

    plant.read(tom, pre)
    verified = training.certificate_verify(
        actor=coordinator, certificate=certificate, credentials=creds(coordinator)
    )
    assert verified.status == CertificateStatus.VERIFIED


@pytest.mark.requirement("L4", "P72")
def test_the_verify_page_shows_the_prerequisite_refusal_and_signs_nothing(
    client, plant, ttt, coordinator
):
    """P72 on the coordinator's page: verifying a certificate whose item is locked
    answers with the prerequisite named; the certificate still awaits verification."""
    from django.urls import reverse

    from tests.personas import PASSWORD
    from tests.training.locking import lock_behind

    jf = plant.job_function("TRN", "Trainer")
    tom = plant.person("Tom", job_function=jf)
    certificate = _submit(tom.user, tom, ttt)
    lock_behind(plant, ttt, plant.requirement("PRE-RU", document=plant.document("SOP-PRE")), jf)
    client.force_login(coordinator)
    page = client.post(
        reverse("web:coordinator_certificate", args=[certificate.pk]),
        {"action": "verify", "username": coordinator.username, "password": PASSWORD},
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "TTT cannot be started before its prerequisite is complete and valid" in text
    assert "PRE-RU" in text
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUBMITTED
    assert not signatures_of(certificate).exists()
