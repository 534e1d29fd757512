"""External training certificates (Q3 external method): submitted, verified, signed.

1. `certificate_submit`: the person, or a coordinator for them, uploads the
   certificate (a PDF or an image, checked by its bytes like every upload: type, size,
   no markup or active PDF content) with its issuer, completion date and validity.
2. `certificate_verify`: a coordinator checks it against the original and signs it
   "verified" (Part 11, through the signing service). Only then a TrainingRecord is
   made: method external, completed at the certificate's date (attested, T1), the
   certificate's bytes as its evidence (SHA-256 kept). `certificate_reject` refuses it
   with a reason; nothing is recorded.
3. `certificate_sign`: the person signs the record (completed_training), the
   trainee's signature Q4 needs; in the same transaction it completes their open
   assignment (G7). Until then the engine does not count the record.

Hazards: the file is stored before the transaction commits (Django's storage is not
transactional); a refused submission never reaches storage because every check runs
first. Credentials are checked before the transaction (S1) so a refused signature is
audited and counted toward the lock.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents.uploads import IMAGE_TYPES, PDF, check_upload
from qualify.guards import AlreadyDone, require_aware, require_reason
from qualify.org.models import Person
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials, authenticate_signer, sign, signatures_of
from qualify.training.models import (
    CertificateStatus,
    Evidence,
    ExternalCertificate,
    Method,
    Requirement,
    TrainingRecord,
)
from qualify.training.services.paths import check_prerequisites
from qualify.training.services.records._common import (
    COMPLETED,
    _check_evidence,
    _check_requirement,
    _complete,
    _late,
    _open_assignment,
    _trainee_user,
    _version_for,
)

VERIFIED = "certificate_verified"  # the signature's meaning; the status stays "verified"
CERTIFICATE_TYPES = {PDF, *IMAGE_TYPES.values()}
VERIFY_PERMISSION = "training.verify_certificate"


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: "This is required."})
    if len(text) > limit:
        raise ValidationError({field: f"At most {limit} characters."})
    return text


def certificate_submit(
    *,
    actor: Any,
    person: Person,
    requirement: Requirement,
    issuer: str,
    completed_at: dt.datetime,
    file: Any,
    valid_until: dt.date | None = None,
    course: str = "",
    certificate_number: str = "",
) -> ExternalCertificate:
    """Step 1: the certificate awaits a coordinator's verification. The person submits
    their own; someone holding record_training (a coordinator) may submit for them."""
    own = actor is not None and person.user_id is not None and person.user_id == actor.pk
    if actor is None or not (own or actor.has_perm("training.record_training")):
        raise PermissionDenied("Only the person or a training coordinator can submit this.")
    _trainee_user(person)
    _check_requirement(actor, requirement, {Method.EXTERNAL}, "it is not an external certificate")
    _check_evidence(requirement, Evidence.SIGNATURE)
    issuer = _text(issuer, "issuer", 200, required=True)
    course = _text(course, "course", 300)
    certificate_number = _text(certificate_number, "certificate_number", 100)
    now = timezone.now()
    require_aware(completed_at, "completed_at")
    if completed_at > now:
        raise ValidationError({"completed_at": "A completion date cannot be in the future."})
    if valid_until is not None:
        if valid_until < completed_at.date():
            raise ValidationError(
                {"valid_until": "A certificate cannot expire before it was earned."}
            )
        if valid_until <= now.date():
            raise ValidationError({"valid_until": "This certificate has expired already."})
    if not file:
        raise ValidationError({"file": "Attach the certificate (a PDF or an image)."})
    checked = check_upload(file, field="file")
    if checked.content_type not in CERTIFICATE_TYPES:
        raise ValidationError(
            {"file": "A certificate is a PDF or an image (PNG, JPEG, GIF or WebP)."}
        )
    # L4: a locked item cannot be completed (refused and audited by the one check).
    check_prerequisites(actor=actor, person=person, requirement=requirement, at=now)
    with transaction.atomic():
        # One certificate awaiting verification per person and requirement (a double
        # submission, a second tab): the first one stands.
        Person.objects.select_for_update().filter(pk=person.pk).values_list("pk").first()
        waiting = ExternalCertificate.objects.filter(
            person=person, requirement=requirement, status=CertificateStatus.SUBMITTED
        ).first()
        if waiting is not None:
            raise AlreadyDone(
                f"A certificate for {requirement.code} already awaits verification "
                f"(certificate {waiting.pk}); nothing new was written.",
                existing=waiting,
            )
        certificate = ExternalCertificate(
            person=person,
            requirement=requirement,
            issuer=issuer,
            course=course,
            certificate_number=certificate_number,
            completed_at=completed_at,
            valid_until=valid_until,
            content_type=checked.content_type,
            sha256=checked.sha256,
            submitted_at=now,
            submitted_by=actor,
        )
        if hasattr(file, "seek"):
            file.seek(0)
        certificate.file.save(checked.name, file, save=False)
        certificate.full_clean()
        certificate.save()
        audit.record("training.certificate.submitted", certificate, actor=actor)
    return certificate


def _check_waiting(certificate: ExternalCertificate) -> ExternalCertificate:
    """Refuse a certificate that is no longer awaiting a decision."""
    if certificate.status == CertificateStatus.VERIFIED:
        raise AlreadyDone(
            f"Certificate {certificate.pk} was already verified; nothing new was written.",
            existing=certificate.record,
        )
    if certificate.status != CertificateStatus.SUBMITTED:
        state = certificate.get_status_display().lower()
        raise ValidationError({"certificate": f"Certificate {certificate.pk} is {state}."})
    return certificate


def _locked_waiting(certificate: ExternalCertificate) -> ExternalCertificate:
    return _check_waiting(
        ExternalCertificate.objects.select_for_update(of=("self",))
        .select_related("person", "requirement")
        .get(pk=certificate.pk)
    )


def _check_verifier(actor: Any, certificate: ExternalCertificate) -> None:
    if actor is None or not actor.has_perm(VERIFY_PERMISSION):
        raise PermissionDenied("Only a training coordinator can verify certificates.")
    check_client(actor, certificate.requirement.client_id)
    if certificate.person.user_id == actor.pk:
        raise ValidationError({"certificate": "Nobody verifies their own certificate."})


def certificate_verify(
    *, actor: Any, certificate: ExternalCertificate, credentials: Credentials
) -> ExternalCertificate:
    """Step 2: the coordinator signs "verified"; the training record is made, bound to
    the version in force at the certificate's date (or the one the open assignment
    names), and awaits the person's signature."""
    certificate = ExternalCertificate.objects.select_related("person", "requirement").get(
        pk=certificate.pk
    )
    _check_verifier(actor, certificate)
    person, requirement = certificate.person, certificate.requirement
    _check_requirement(actor, requirement, {Method.EXTERNAL}, "it is not an external certificate")
    now = timezone.now()
    if certificate.valid_until is not None and certificate.valid_until <= now.date():
        raise ValidationError({"valid_until": "This certificate has expired; it cannot count."})
    _check_waiting(certificate)
    # L4: verifying completes the item; a prerequisite not complete and valid now (not
    # yet done when the certificate was submitted before the path locked it, or since
    # expired or revoked) refuses it, audited by the one check, before any signature.
    check_prerequisites(actor=actor, person=person, requirement=requirement, at=now)
    version = _version_for(
        requirement, _open_assignment(person, requirement), certificate.completed_at
    )
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=VERIFIED)
    with transaction.atomic():
        certificate = _locked_waiting(certificate)
        before = audit.state_of(certificate)
        notes = f"External certificate {certificate.pk} from {certificate.issuer}"
        if certificate.certificate_number:
            notes += f", no. {certificate.certificate_number}"
        if certificate.valid_until:
            notes += f", valid until {certificate.valid_until:%Y-%m-%d}"
        record = TrainingRecord(
            person=person,
            requirement=requirement,
            document_version=version,
            method=Method.EXTERNAL,
            completed_at=certificate.completed_at,
            recorded_at=now,
            attested_at=certificate.completed_at,
            late_entry=_late(person, certificate.completed_at, now),
            evidence=Evidence.SIGNATURE,
            evidence_sha256=certificate.sha256,
            notes=notes,
            entered_by=actor,
        )
        # The record's evidence is the certificate's stored file itself.
        record.evidence_file.name = certificate.file.name
        record.full_clean()
        record.save()
        record.refresh_from_db()
        audit.record("training.record.created", record, actor=actor)
        sign(proof=proof, obj=certificate, meaning=VERIFIED)
        certificate.status = CertificateStatus.VERIFIED
        certificate.decided_at = now
        certificate.decided_by = actor
        certificate.record = record
        certificate.save(update_fields=["status", "decided_at", "decided_by", "record"])
        audit.record(
            "training.certificate.verified",
            certificate,
            actor=actor,
            before=before,
            reason=f"Verified against the original; training record {record.pk}",
        )
    return certificate


def certificate_reject(
    *, actor: Any, certificate: ExternalCertificate, reason: str
) -> ExternalCertificate:
    """The coordinator refuses the certificate with a reason; nothing is recorded."""
    certificate = ExternalCertificate.objects.select_related("person", "requirement").get(
        pk=certificate.pk
    )
    _check_verifier(actor, certificate)
    reason = require_reason(reason)
    _check_waiting(certificate)
    with transaction.atomic():
        certificate = _locked_waiting(certificate)
        before = audit.state_of(certificate)
        certificate.status = CertificateStatus.REJECTED
        certificate.decided_at = timezone.now()
        certificate.decided_by = actor
        certificate.decision_reason = reason
        certificate.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit.record(
            "training.certificate.rejected", certificate, actor=actor, before=before, reason=reason
        )
    return certificate


def certificate_awaits_signature(certificate: ExternalCertificate) -> bool:
    """Verified, and its record not yet signed by the person."""
    if certificate.status != CertificateStatus.VERIFIED or certificate.record_id is None:
        return False
    return (
        not signatures_of(certificate.record)
        .filter(signer_id=certificate.person.user_id, meaning=COMPLETED)
        .exists()
    )


def certificate_sign(
    *, actor: Any, certificate: ExternalCertificate, credentials: Credentials
) -> TrainingRecord:
    """Step 3: the person signs the record made from their verified certificate
    (completed_training); it counts from then on and completes their assignment."""
    certificate = ExternalCertificate.objects.select_related("person", "record").get(
        pk=certificate.pk
    )
    user = _trainee_user(certificate.person)
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied("Only the person named on the certificate signs its record.")
    if certificate.status != CertificateStatus.VERIFIED:
        raise ValidationError(
            {"certificate": "The certificate must be verified by a coordinator first."}
        )
    if not certificate_awaits_signature(certificate):
        raise AlreadyDone(
            "You already signed this training record; nothing new was written.",
            existing=certificate.record,
        )
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=COMPLETED)
    now = timezone.now()
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=certificate.person_id).values_list(
            "pk"
        ).first()
        record = certificate.record
        if not certificate_awaits_signature(certificate):
            raise AlreadyDone(
                "You already signed this training record; nothing new was written.",
                existing=record,
            )
        sign(proof=proof, obj=record, meaning=COMPLETED)
        record.completed_assignment = _complete(record, actor=actor, now=now)
    return record
