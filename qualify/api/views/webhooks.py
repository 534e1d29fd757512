"""Webhook subscriptions and the delivery log: parse, call a service or a query,
render. A client-restricted token sees and manages only its clients' subscriptions
and deliveries (U2)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView
from qualify.api.idempotency import idempotent
from qualify.api.models import WebhookDelivery, WebhookSubscription
from qualify.api.webhooks import services
from qualify.api.webhooks.emit import EVENTS


class SubscriptionIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENTS)), min_length=1
    )
    client = serializers.CharField(
        max_length=40,
        required=False,
        allow_null=True,
        default=None,
        help_text="Client code: only that client's events are sent. Required for a token "
        "restricted to several clients; a token restricted to one gets its client.",
    )


class SubscriptionOut(serializers.ModelSerializer):
    client = serializers.CharField(source="client.code", allow_null=True, default=None)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "client", "active", "created_at"]


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

    def get_queryset(self):
        return services.subscriptions(self.request.user)

    @extend_schema(request=SubscriptionIn, responses={201: SubscriptionCreatedOut})
    @idempotent
    def post(self, request):
        body = SubscriptionIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        subscription = services.subscription_create(
            actor=request.user,
            name=data["name"],
            url=data["url"],
            events=data["events"],
            client_code=data["client"],
        )
        return Response(SubscriptionCreatedOut(subscription).data, status=status.HTTP_201_CREATED)


class SubscriptionDeactivateIn(serializers.Serializer):
    reason = serializers.CharField()


class SubscriptionDeactivateView(ApiView):
    serializer_class = SubscriptionDeactivateIn

    @extend_schema(request=SubscriptionDeactivateIn, responses={200: SubscriptionOut})
    def post(self, request, pk):
        body = SubscriptionDeactivateIn(data=request.data)
        body.is_valid(raise_exception=True)
        subscription = services.subscription_deactivate(
            actor=request.user, pk=pk, reason=body.validated_data["reason"]
        )
        return Response(SubscriptionOut(subscription).data)


class DeliveriesView(ListView):
    serializer_class = DeliveryOut
    filterset_fields = ["status", "event", "subscription"]

    def get_queryset(self):
        return services.deliveries(self.request.user)
