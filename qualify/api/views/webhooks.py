"""Webhook subscriptions and the delivery log."""

import secrets

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView
from qualify.api.idempotency import idempotent
from qualify.api.models import WebhookDelivery, WebhookSubscription
from qualify.api.webhooks.emit import EVENTS
from qualify.audit import services as audit

MANAGE = ["accounts.manage_accounts", "api.add_webhooksubscription"]
SCOPES = {"GET": "webhooks-manage", "POST": "webhooks-manage"}


class SubscriptionIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENTS)), min_length=1
    )


class SubscriptionOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "active", "created_at"]


class SubscriptionCreatedOut(SubscriptionOut):
    secret = serializers.CharField(help_text="Shown once: the HMAC-SHA256 key.")

    class Meta(SubscriptionOut.Meta):
        fields = [*SubscriptionOut.Meta.fields, "secret"]


class DeliveryOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "event_id",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "last_attempt_at",
            "delivered_at",
        ]


class SubscriptionsView(ListView):
    serializer_class = SubscriptionOut
    scopes = SCOPES
    perms = {"GET": MANAGE, "POST": MANAGE}

    def get_queryset(self):
        return WebhookSubscription.objects.all()

    @extend_schema(request=SubscriptionIn, responses={201: SubscriptionCreatedOut})
    @idempotent
    def post(self, request):
        body = SubscriptionIn(data=request.data)
        body.is_valid(raise_exception=True)
        subscription = WebhookSubscription(
            **body.validated_data,
            secret=secrets.token_urlsafe(32),
            created_by=request.user,
            created_at=timezone.now(),
        )
        subscription.full_clean()
        subscription.save()
        audit.record("api.webhook.subscribed", subscription, actor=request.user)
        return Response(SubscriptionCreatedOut(subscription).data, status=status.HTTP_201_CREATED)


class SubscriptionDeactivateIn(serializers.Serializer):
    reason = serializers.CharField()


class SubscriptionDeactivateView(ApiView):
    scopes = SCOPES
    perms = {"POST": MANAGE}
    serializer_class = SubscriptionDeactivateIn

    @extend_schema(request=SubscriptionDeactivateIn, responses={200: SubscriptionOut})
    def post(self, request, pk):
        body = SubscriptionDeactivateIn(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            subscription = WebhookSubscription.objects.select_for_update().filter(pk=pk).first()
            if subscription is None:
                raise NotFound("No such subscription.")
            if subscription.active:
                before = audit.state_of(subscription)
                subscription.active = False
                subscription.save(update_fields=["active"])
                audit.record(
                    "api.webhook.deactivated",
                    subscription,
                    actor=request.user,
                    before=before,
                    reason=body.validated_data["reason"],
                )
        return Response(SubscriptionOut(subscription).data)


class DeliveriesView(ListView):
    serializer_class = DeliveryOut
    scopes = SCOPES
    perms = {"GET": MANAGE}
    filterset_fields = ["status", "event", "subscription"]

    def get_queryset(self):
        return WebhookDelivery.objects.all()
