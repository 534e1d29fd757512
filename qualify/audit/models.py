"""The append-only audit trail (A1 to A4).

`entry` is the canonical JSON of the event and the only thing hashed; the other
columns are indexes derived from it for filtering, and `audit verify` checks that
they still agree with the entry. Rows are never updated or deleted: triggers
created by migration 0002 reject UPDATE and DELETE on both databases.
"""

import json

from django.db import models

from qualify.audit.registry import audited


class AuditEvent(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    recorded_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    request_id = models.CharField(max_length=64)
    record_hash = models.CharField(max_length=64, blank=True)
    entry = models.TextField()
    chain_hash = models.CharField(max_length=64)
    # Format 2 (A6): "<key ID>:<HMAC-SHA256 of chain_hash>" with the site's key, which
    # the database does not hold. NULL on events of format 1 (earlier releases).
    mac = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        db_table = "audit_event"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_event_object"),
            models.Index(fields=["action", "seq"], name="audit_event_action"),
            models.Index(fields=["recorded_at"], name="audit_event_time"),
        ]
        permissions = [("view_audit_trail", "Can view the audit trail")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def data(self) -> dict:
        return json.loads(self.entry)

    @property
    def changes(self) -> dict:
        return self.data.get("changes", {})

    @property
    def reason(self) -> str:
        return self.data.get("reason", "")

    @property
    def actor_name(self) -> str:
        return self.data.get("actor_name", "")

    @property
    def actor_username(self) -> str:
        return self.data.get("actor_username", "")


@audited
class Checkpoint(models.Model):
    """A signed statement of the tree's size and root (C2SP checkpoint).

    Audited like any record: its signing is an event, and `audit verify` checks the
    row against it as well as checking the signature.
    """

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    note = models.TextField()

    class Meta:
        db_table = "audit_checkpoint"
        ordering = ["tree_size"]

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class Cosignature(models.Model):
    """A witness's cosignature of a checkpoint (C2SP tlog-cosignature), as returned by
    its `add-checkpoint` endpoint: the signature line, verbatim."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="+")
    witness = models.CharField(max_length=200)
    line = models.TextField()
    received_at = models.DateTimeField()

    class Meta:
        db_table = "audit_cosignature"
        ordering = ["checkpoint_id", "pk"]

    def __str__(self) -> str:
        return f"cosignature of checkpoint {self.checkpoint_id} by {self.witness}"


class AccessEvent(models.Model):
    """Who opened which GxP record (qualify.audit.access): a log of its own, beside
    the change trail, append-only and hash-chained separately. `entry` is the
    canonical JSON and the only hashed content; the other columns index it."""

    seq = models.BigIntegerField(primary_key=True)
    recorded_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    request_id = models.CharField(max_length=64)
    entry = models.TextField()
    chain_hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=80)

    class Meta:
        db_table = "audit_access_event"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_access_object"),
            models.Index(fields=["actor_id", "seq"], name="audit_access_actor"),
        ]

    def __str__(self) -> str:
        return f"access #{self.seq} {self.object_type}:{self.object_id}"

    @property
    def data(self) -> dict:
        return json.loads(self.entry)


# The inspector page's background verification (P143), kept in its own module.
from qualify.audit.verification_runs import RunStatus, VerificationRun  # noqa: E402, F401
