"""Executions: the MES records work on a batch through the quality service (E1)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView
from qualify.api.fields import AwareDateTimeField
from qualify.api.idempotency import idempotent
from qualify.documents.queries import documents
from qualify.org.queries import people
from qualify.quality.models import Execution
from qualify.quality.queries import batch_record, executions
from qualify.quality.services import GateRefused, execution_record
from qualify.quality.services.execution import audit_refusal


class ExecutionIn(serializers.Serializer):
    person = serializers.CharField(max_length=40, help_text="Employee number of the performer.")
    batch = serializers.CharField(max_length=80)
    step = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    documents = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=50
    )
    claimed_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the step was performed, as attested by the MES (stored beside "
        "the server's time, T1).",
    )


class ExecutionOut(serializers.ModelSerializer):
    person = serializers.CharField(source="person.employee_number")
    site = serializers.CharField(source="site.code")
    client = serializers.CharField(source="client.code", allow_null=True, default=None)
    documents = serializers.SerializerMethodField()

    class Meta:
        model = Execution
        fields = [
            "id",
            "site",
            "client",
            "batch",
            "step",
            "person",
            "performed_at",
            "claimed_at",
            "late_entry",
            "qualified",
            "outcome",
            "gate_answer",
            "documents",
        ]

    def get_documents(self, obj) -> list[dict[str, str]]:
        return [
            {"document": line.document.number, "revision": line.version.revision}
            for line in obj.lines.all()
        ]


def _executions(user):
    return (
        executions(user)
        .filter(person__in=people(user))
        .select_related("person", "site")
        .prefetch_related("lines__document", "lines__version")
    )


class ExecutionsView(ListView):
    serializer_class = ExecutionOut
    filterset_fields = ["batch"]

    def get_queryset(self):
        return _executions(self.request.user)

    @extend_schema(
        request=ExecutionIn,
        responses={201: ExecutionOut},
        summary="Record work on a batch; refused (422) or recorded with a deviation when "
        "the person is not qualified, per the site's gate policy (E1)",
    )
    def post(self, request):
        try:
            return self._record(request)
        except GateRefused as refused:
            # A5: the request's transaction rolled back with the refusal's event in it;
            # the refusal is recorded again, durably, now that it is over.
            audit_refusal(refused)
            raise

    @idempotent
    def _record(self, request):
        body = ExecutionIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        person = people(request.user).filter(employee_number=data["person"]).first()
        if person is None:
            raise serializers.ValidationError({"person": [f"No person {data['person']!r}."]})
        found = {d.number: d for d in documents(request.user).filter(number__in=data["documents"])}
        missing = [n for n in data["documents"] if n not in found]
        if missing:
            raise serializers.ValidationError(
                {"documents": [f"No document {n!r}." for n in missing]}
            )
        execution = execution_record(
            actor=request.user,
            person=person,
            batch=data["batch"],
            step=data["step"],
            documents=[found[n] for n in dict.fromkeys(data["documents"])],
            claimed_at=data.get("claimed_at"),
        )
        return Response(
            # The recorder (the MES) may reach only its own rows: show what it recorded.
            ExecutionOut(Execution.objects.get(pk=execution.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class BatchLineOut(serializers.Serializer):
    execution = serializers.IntegerField()
    person = serializers.CharField(help_text="The performer's name.")
    employee_number = serializers.CharField()
    step = serializers.CharField()
    performed_at = serializers.DateTimeField(help_text="E5: when the work was performed.")
    recorded_at = serializers.DateTimeField(help_text="T1: the server's time of entry.")
    claimed_at = serializers.DateTimeField(allow_null=True)
    late_entry = serializers.BooleanField()
    documents = serializers.ListField(child=serializers.CharField())
    qualified_as_known_then = serializers.BooleanField(help_text="The gate's answer (Q7).")
    in_grace_then = serializers.BooleanField(
        help_text='Q10: the gate answered "qualified (in grace)".'
    )
    grace_ends_then = serializers.DateTimeField(allow_null=True)
    reasons_then = serializers.ListField(child=serializers.CharField())
    qualified_known_now = serializers.BooleanField(
        help_text="At the instant performed, with everything known now."
    )
    in_grace_now = serializers.BooleanField()
    grace_ends_now = serializers.DateTimeField(allow_null=True)
    reasons_now = serializers.ListField(child=serializers.CharField())
    deviations = serializers.ListField(child=serializers.CharField())


class BatchRecordView(ApiView):
    """The batch record page's rows (web:quality_batch), from the same query
    (qualify.quality.queries.batch_record)."""

    queryset = Execution.objects.none()  # the schema's model; reads go through the query
    serializer_class = BatchLineOut
    pagination_class = None

    @extend_schema(
        responses={200: BatchLineOut(many=True)},
        summary="A batch record: each execution with the qualification then and now, "
        "in grace where it was (E5, Q7, Q10)",
    )
    def get(self, request, batch: str):
        rows = batch_record(batch, user=request.user)
        if not rows:
            raise NotFound("No execution on this batch.")
        return Response(BatchLineOut(rows, many=True).data)
