"""Quality events (read): CAPAs, deviations, change controls, each with the client it
concerns, read through qualify.quality.queries like the pages (U2)."""

from rest_framework import serializers

from qualify.api.base import ListView
from qualify.quality import queries
from qualify.quality.models import Capa, ChangeControl, Deviation


def _model_out(model_class, field_names):
    meta = type("Meta", (), {"model": model_class, "fields": field_names})
    # U2: the client the record concerns, by code; null for in-house work.
    client = serializers.CharField(
        source="client.code", allow_null=True, default=None, read_only=True
    )
    return type(
        f"{model_class.__name__}Out",
        (serializers.ModelSerializer,),
        {"Meta": meta, "client": client},
    )


CapaOut = _model_out(
    Capa,
    [
        "id",
        "number",
        "client",
        "source",
        "source_reference",
        "deviation",
        "problem_statement",
        "root_cause_category",
        "root_cause",
        "status",
        "qa_review_required",
        "created_at",
        "closed_at",
    ],
)
DeviationOut = _model_out(Deviation, "__all__")
ChangeControlOut = _model_out(ChangeControl, "__all__")


class _QualityList(ListView):
    model = None
    query = None  # the query function of qualify.quality.queries for the model

    def get_queryset(self):
        return type(self).query(self.request.user)


class CapasView(_QualityList):
    model = Capa
    query = queries.capas
    serializer_class = CapaOut
    filterset_fields = ["status", "number"]


class DeviationsView(_QualityList):
    model = Deviation
    query = queries.deviations
    serializer_class = DeviationOut
    filterset_fields = ["status", "number"]


class ChangeControlsView(_QualityList):
    model = ChangeControl
    query = queries.change_controls
    serializer_class = ChangeControlOut
    filterset_fields = ["status", "number"]
