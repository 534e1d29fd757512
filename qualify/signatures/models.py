"""Electronic signatures (21 CFR 11.50, 11.70; S1).

A signature binds a person, a time and a meaning to the SHA-256 of the signed
record's canonical content, so it cannot be moved to another record and shows as
broken if the record changes after signing.
"""

import datetime as dt

from django.conf import settings
from django.db import models

from qualify.audit.registry import audited
from qualify.signatures.meanings import MEANINGS


@audited
class Signature(models.Model):
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=150)
    printed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    meaning = models.CharField(
        max_length=40, choices=[(m.code, m.label) for m in MEANINGS.values()]
    )
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)
    comment = models.TextField(blank=True)

    class Meta:
        db_table = "signatures_signature"
        indexes = [models.Index(fields=["object_type", "object_id"], name="signature_object")]
        permissions = [
            (m.permission.split(".")[1], f"Can sign: {m.label}") for m in MEANINGS.values()
        ]

    def __str__(self) -> str:
        return self.manifestation

    @property
    def meaning_label(self) -> str:
        return MEANINGS[self.meaning].label

    @property
    def manifestation(self) -> str:
        """The one text shown wherever the signed record is shown or printed (11.50)."""
        return (
            f"Signed by {self.printed_name} ({self.username}), "
            f"{self.signed_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC, "
            f"meaning: {self.meaning_label}"
        )
