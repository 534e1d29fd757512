"""Training reads: requirements, the matrix, assignments, records with signatures."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView
from qualify.api.fields import AwareDateTimeFilter, StrictBooleanFilter, refuse_empty_optionals
from qualify.api.views.signatures import SignatureOut, signatures_by_object
from qualify.org.queries import job_functions
from qualify.training import queries as training_queries
from qualify.training.engine.required import overdue_at
from qualify.training.grace import in_grace_on_matrix
from qualify.training.models import (
    Assignment,
    AssignmentStatus,
    MatrixEntry,
    Requirement,
    TrainingRecord,
)


class RequirementOut(serializers.ModelSerializer):
    document = serializers.CharField(source="document.number", allow_null=True, default=None)
    client = serializers.CharField(source="client.code", allow_null=True, default=None)

    class Meta:
        model = Requirement
        fields = [
            "id",
            "code",
            "title",
            "method",
            "document",
            "client",
            "recurrence_months",
            "grace_days",
            "evidence_required",
            "pass_mark",
            "active",
        ]


class RequirementsView(ListView):
    serializer_class = RequirementOut
    filterset_fields = ["code", "method", "active"]

    def get_queryset(self):
        return training_queries.requirements(self.request.user)


class MatrixEntryOut(serializers.ModelSerializer):
    job_function = serializers.CharField(source="job_function.code")
    requirement = serializers.CharField(source="requirement.code", allow_null=True, default=None)
    curriculum = serializers.CharField(source="curriculum.code", allow_null=True, default=None)

    class Meta:
        model = MatrixEntry
        fields = [
            "id",
            "job_function",
            "requirement",
            "curriculum",
            "valid_from",
            "valid_to",
            "window_days",
            "recorded_at",
        ]


class MatrixView(ListView):
    serializer_class = MatrixEntryOut

    def get_queryset(self):
        return training_queries.matrix_entries(self.request.user)


class InGraceOut(serializers.Serializer):
    job_function = serializers.CharField(source="job_function.code")
    requirement = serializers.CharField(source="requirement.code")
    person = serializers.CharField(source="person.employee_number")
    person_name = serializers.CharField(source="person.full_name")
    state = serializers.CharField(source="answer.state_label", help_text="qualified (in grace)")
    grace_ends = serializers.DateTimeField()


class InGraceQuery(serializers.Serializer):
    job_function = serializers.CharField(required=False, help_text="A job function code.")
    requirement = serializers.CharField(required=False, help_text="A requirement code.")

    def validate(self, attrs):
        return refuse_empty_optionals(self, attrs)


class MatrixInGraceView(ApiView):
    """Q10 (P70): who is "qualified (in grace)" now in each cell of the matrix, from
    the query the matrix page calls (qualify.training.grace.in_grace_on_matrix)."""

    queryset = MatrixEntry.objects.none()  # the schema's model; reads go through the query
    serializer_class = InGraceOut
    pagination_class = None

    @extend_schema(
        parameters=[InGraceQuery],
        responses={200: InGraceOut(many=True)},
        summary="The matrix's holders qualified only in grace now, with the end of it",
    )
    def get(self, request):
        query = InGraceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        requirements = None
        if wanted.get("requirement"):
            requirements = training_queries.requirements(request.user).filter(
                code__iexact=wanted["requirement"]
            )
        functions = None
        if wanted.get("job_function"):
            functions = job_functions(request.user).filter(code__iexact=wanted["job_function"])
        rows = in_grace_on_matrix(
            request.user, at=timezone.now(), requirements=requirements, functions=functions
        )
        return Response(InGraceOut(rows, many=True).data)


class AssignmentFilter(django_filters.FilterSet):
    person = django_filters.CharFilter(field_name="person__employee_number")
    status = django_filters.ChoiceFilter(choices=AssignmentStatus.choices)
    overdue = StrictBooleanFilter(method="filter_overdue", label="Open past due (G7)")
    due_before = AwareDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Assignment
        fields = ["person", "status", "overdue", "due_before"]

    def filter_overdue(self, queryset, name, value):
        condition = overdue_at(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class AssignmentOut(serializers.ModelSerializer):
    person = serializers.CharField(source="person.employee_number")
    requirement = serializers.CharField(source="requirement.code")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "person",
            "requirement",
            "document_version",
            "reason",
            "reason_text",
            "source",
            "due_at",
            "status",
            "overdue",
            "created_at",
            "closed_at",
            "record",
            "superseded_by",
            "cancel_reason",
        ]

    def get_overdue(self, obj) -> bool:
        return obj.status == AssignmentStatus.OPEN and obj.due_at < timezone.now()


class AssignmentsView(ListView):
    serializer_class = AssignmentOut
    filterset_class = AssignmentFilter

    def get_queryset(self):
        return training_queries.visible_assignments(self.request.user)


class RecordOut(serializers.ModelSerializer):
    person = serializers.CharField(source="person.employee_number")
    requirement = serializers.CharField(source="requirement.code")
    document = serializers.CharField(
        source="document_version.document.number", allow_null=True, default=None
    )
    revision = serializers.CharField(
        source="document_version.revision", allow_null=True, default=None
    )
    trainer = serializers.CharField(source="trainer.employee_number", allow_null=True, default=None)
    signatures = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRecord
        fields = [
            "id",
            "person",
            "requirement",
            "document",
            "revision",
            "method",
            "completed_at",
            "recorded_at",
            "attested_at",
            "late_entry",
            "evidence",
            "score",
            "pass_mark",
            "trainer",
            "supersedes",
            "correction_reason",
            "signatures",
        ]

    def get_signatures(self, obj) -> list[dict]:
        found = self.context.get("signatures", {})
        return SignatureOut(found.get(str(obj.pk), []), many=True).data


class RecordFilter(django_filters.FilterSet):
    person = django_filters.CharFilter(field_name="person__employee_number")
    requirement = django_filters.CharFilter(field_name="requirement__code")

    class Meta:
        model = TrainingRecord
        fields = ["person", "requirement"]


class RecordsView(ListView):
    serializer_class = RecordOut
    filterset_class = RecordFilter

    def get_queryset(self):
        return training_queries.training_records(self.request.user)

    def paginate_queryset(self, queryset):
        self._page = super().paginate_queryset(queryset)
        return self._page

    def get_serializer_context(self):
        context = super().get_serializer_context()
        page = getattr(self, "_page", None)
        if page is not None:
            context["signatures"] = signatures_by_object(TrainingRecord, [r.pk for r in page])
        return context
