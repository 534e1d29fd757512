"""Reading signatures and checking that they still hold (S1)."""

from dataclasses import dataclass

from django.db import models

from qualify.audit.registry import audited_models
from qualify.signatures.models import Signature
from qualify.signatures.services import content_hash, signatures_of


@dataclass(frozen=True)
class SignatureCheck:
    signature: Signature
    valid: bool
    reason: str

    @property
    def status(self) -> str:
        return "valid" if self.valid else "broken"


def verify_signature(signature: Signature, obj: models.Model | None = None) -> SignatureCheck:
    if obj is None:
        model = audited_models().get(signature.object_type)
        obj = model.objects.filter(pk=signature.object_id).first() if model else None
    if obj is None:
        return SignatureCheck(signature, False, "the signed record cannot be found")
    if content_hash(obj) != signature.content_hash:
        return SignatureCheck(signature, False, "the record has changed since it was signed")
    return SignatureCheck(signature, True, "the record is unchanged since it was signed")


def signature_checks(obj: models.Model) -> list[SignatureCheck]:
    return [verify_signature(s, obj) for s in signatures_of(obj)]
