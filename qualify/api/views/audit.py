"""The audit events of any record, and the signed checkpoints (A1, A3)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from qualify.api.base import ListView
from qualify.audit.models import AuditEvent, Checkpoint
from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import JobFunction
from qualify.org.queries import people
from qualify.org.scoping import restrict, restricted_clients
from qualify.training.models import Assignment, Requirement, TrainingRecord

# Object types a client-restricted user (U2) may ask about, with how to see them.
SCOPED = {
    "documents.document": (Document, "client"),
    "documents.documentversion": (DocumentVersion, "document__client"),
    "training.requirement": (Requirement, "client"),
    "training.assignment": (Assignment, "requirement__client"),
    "training.trainingrecord": (TrainingRecord, "requirement__client"),
    "org.jobfunction": (JobFunction, "client"),
}


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


def _visible(user, object_type: str, object_id: str) -> bool:
    if restricted_clients(user) is None:
        return True
    if object_type == "org.person":
        return people(user).filter(pk=object_id).exists() if object_id.isdigit() else False
    if object_type not in SCOPED or not object_id.isdigit():
        return False
    model, field = SCOPED[object_type]
    return restrict(model.objects.all(), user, field).filter(pk=object_id).exists()


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
        if not _visible(self.request.user, object_type, object_id):
            raise NotFound("No such record.")
        return AuditEvent.objects.filter(object_type=object_type, object_id=object_id)


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
