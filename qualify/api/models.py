"""API tokens, idempotency keys and webhooks (issue 6)."""

from django.conf import settings
from django.db import models

from qualify.audit.registry import audited

SCOPES = {
    "read": "Read everything the service account may see, and ask the qualification gate",
    "people-write": "Create and change people and their job assignments (HR feed)",
    "documents-write": "Create draft revisions of documents",
    "executions-write": "Record executions (work on a batch) through the gate",
    "webhooks-manage": "Create and deactivate webhook subscriptions",
}


@audited
class ApiToken(models.Model):
    """A token for one integration, acting as its own service account. Only the
    SHA-256 of the token is stored; the token itself is shown once at creation."""

    name = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def audit_state(self) -> dict:
        # last_used_at moves with use (at most once a minute) and is no GxP fact;
        # what a request changes is audited, what it opens is in the access log.
        return {
            "name": self.name,
            "user_id": self.user_id,
            "token_hash": self.token_hash,
            "scopes": sorted(self.scopes),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
            "revoke_reason": self.revoke_reason,
        }


class IdempotencyKey(models.Model):
    """A POST made with an Idempotency-Key header and the response it got, stored in
    the transaction of the write, so a retry replays the response and writes nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    response_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"


@audited
class WebhookSubscription(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    # Shared secret for the HMAC-SHA256 signature; needed in clear to sign.
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list)
    # U2: a subscription for one client receives only that client's events, with
    # nothing of other clients or of in-house people; none receives everything.
    client = models.ForeignKey(
        "org.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} -> {self.url}"

    def audit_state(self) -> dict:
        state = {
            "name": self.name,
            "url": self.url,
            "events": sorted(self.events),
            "active": self.active,
            "created_by_id": self.created_by_id,
            "created_at": self.created_at,
        }
        # Only when set: subscriptions made before the field existed keep the state
        # hash their audit events recorded (A4).
        if self.client_id is not None:
            state["client_id"] = self.client_id
        return state


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (no more retries)"


class WebhookDelivery(models.Model):
    """The delivery log: one row per (event, subscription), written in the
    transaction of the event (an outbox), sent after commit by a task."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    event_id = models.CharField(max_length=32)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Set while a task sends this delivery (P11, P22): a second task finds it claimed
    # and sends nothing; a claim older than deliver.CLAIM_TIMEOUT was left by a worker
    # that died, and the sweep (qualify.api.webhooks.sweep) queues the delivery again.
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["status", "id"], name="webhook_delivery_status")]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} to {self.subscription_id}: {self.status}"
