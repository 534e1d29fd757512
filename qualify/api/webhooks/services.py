"""Webhook subscriptions: the writes (subscribe, deactivate) and the reads, scoped by
client restriction (U2).

A client-restricted caller subscribes for one of its clients only, and sees only the
subscriptions of its clients and their deliveries; a subscription without a client
(receiving everything) can be made and seen only by an unrestricted caller.
"""

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from qualify.api.models import WebhookDelivery, WebhookSubscription
from qualify.api.webhooks.emit import EVENTS
from qualify.api.webhooks.network import check_url
from qualify.audit import services as audit
from qualify.guards import require_reason
from qualify.org.models import Client
from qualify.org.scoping import restrict, restricted_clients, visible_object

MANAGE = ("accounts.manage_accounts", "api.add_webhooksubscription")
MAY_NOT = "You may not manage webhook subscriptions."


def _require_manage(actor: Any) -> None:
    # Either permission will do: an administrator, or a webhooks token's account.
    if actor is None or not any(actor.has_perm(p) for p in MANAGE):
        raise PermissionDenied(MAY_NOT)


def subscriptions(user: Any) -> QuerySet[WebhookSubscription]:
    return restrict(WebhookSubscription.objects.select_related("client"), user)


def deliveries(user: Any) -> QuerySet[WebhookDelivery]:
    return restrict(WebhookDelivery.objects.all(), user, "subscription__client")


def _client_for(actor: Any, client_code: str | None) -> Client | None:
    clients = restricted_clients(actor)
    if client_code:
        client = Client.objects.filter(code=client_code).first()
        if client is None or (clients is not None and client.pk not in clients):
            raise ValidationError({"client": f"There is no client {client_code!r} you may use."})
        return client
    if clients is None:
        return None
    if len(clients) == 1:
        return Client.objects.get(pk=next(iter(clients)))
    raise ValidationError(
        {"client": "You act for several clients: name the client this subscription is for."}
    )


@transaction.atomic
def subscription_create(
    *, actor: Any, name: str, url: str, events: list[str], client_code: str | None = None
) -> WebhookSubscription:
    """A new subscription with a fresh HMAC secret (shown once by the caller)."""
    _require_manage(actor)
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise ValidationError({"events": f"Unknown or no events: {', '.join(unknown)}."})
    check_url(url)
    subscription = WebhookSubscription(
        name=name,
        url=url,
        events=sorted(set(events)),
        client=_client_for(actor, client_code),
        secret=secrets.token_urlsafe(32),
        created_by=actor,
        created_at=timezone.now(),
    )
    subscription.full_clean()
    subscription.save()
    audit.record("api.webhook.subscribed", subscription, actor=actor)
    return subscription


@transaction.atomic
def subscription_deactivate(*, actor: Any, pk: int, reason: str) -> WebhookSubscription:
    """Stop sending to a subscription; deactivating an inactive one changes nothing."""
    _require_manage(actor)
    reason = require_reason(reason)
    visible_object(WebhookSubscription.objects.all(), actor, pk)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=pk)
    if subscription.active:
        before = audit.state_of(subscription)
        subscription.active = False
        subscription.save(update_fields=["active"])
        audit.record(
            "api.webhook.deactivated", subscription, actor=actor, before=before, reason=reason
        )
    return subscription
