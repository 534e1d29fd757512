"""Training reads: requirements, the matrix, assignments, records with signatures."""

import django_filters
from django.utils import timezone
from rest_framework import serializers

from qualify.api.base import ListView
from qualify.api.fields import AwareDateTimeFilter, StrictBooleanFilter
from qualify.api.views.signatures import SignatureOut, signatures_by_object
from qualify.training import queries as training_queries
from qualify.training.engine.required import overdue_at
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
