"""The audit events of any record, and the signed checkpoints (A1, A3).

The events a user may read come from `qualify.reports.queries.audit_events`, the one
client restriction (U2) the audit-trail report and pages share."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from qualify.api.base import ListView
from qualify.audit.models import AuditEvent, Checkpoint
from qualify.org.scoping import restricted_clients
from qualify.reports.queries import audit_events


class AuditQuery(serializers.Serializer):
    object_type = serializers.CharField(max_length=100, help_text="e.g. documents.document")
    object_id = serializers.CharField(max_length=64)


class AuditEventOut(serializers.ModelSerializer):
    actor_username = serializers.CharField()
    actor_name = serializers.CharField()
    changes = serializers.JSONField()
    reason = serializers.CharField()

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "recorded_at",
            "action",
            "actor_id",
            "actor_username",
            "actor_name",
            "object_type",
            "object_id",
            "changes",
            "reason",
            "request_id",
            "record_hash",
            "chain_hash",
        ]


class AuditEventsView(ListView):
    serializer_class = AuditEventOut

    class pagination_class(ListView.pagination_class):
        ordering = "seq"

    @extend_schema(parameters=[AuditQuery], summary="The audit events of one record")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        query = AuditQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        object_type = query.validated_data["object_type"]
        object_id = query.validated_data["object_id"]
        rows = audit_events(self.request.user).filter(object_type=object_type, object_id=object_id)
        # A restricted reader learns nothing of a record hidden from them: no event
        # they may read reads as no such record (U2).
        if restricted_clients(self.request.user) is not None and not rows.exists():
            raise NotFound("No such record.")
        return rows


class CheckpointOut(serializers.ModelSerializer):
    class Meta:
        model = Checkpoint
        fields = ["id", "tree_size", "root_hash", "signed_at", "note"]


class CheckpointsView(ListView):
    serializer_class = CheckpointOut

    class pagination_class(ListView.pagination_class):
        ordering = "tree_size"

    def get_queryset(self):
        return Checkpoint.objects.all()
