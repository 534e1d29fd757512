"""E-learning packages and attempts for integration engineers (issue 15), read-only:
the packages with their document version and standard, and attempts with their score
and run-time state per SCO or AU. Each list is filtered with django-filter and read
through qualify.content.queries (client restriction, and a learner's own attempts)."""

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from qualify.api.base import ListView, RetrieveView
from qualify.content import queries
from qualify.content.models import Attempt, AttemptStatus, ContentPackage, Kind
from qualify.documents.models import VersionStatus


class ContentItemOut(serializers.Serializer):
    identifier = serializers.CharField()
    title = serializers.CharField()
    href = serializers.CharField(help_text="Launch path in the package (or the AU's URL).")
    scorm_type = serializers.CharField(help_text="sco or asset (SCORM), au (cmi5).")
    mastery_score = serializers.CharField(allow_null=True)
    completion_threshold = serializers.CharField(allow_null=True)
    move_on = serializers.CharField(help_text="cmi5 moveOn; empty for SCORM.")


class ContentPackageOut(serializers.ModelSerializer):
    document = serializers.CharField(source="version.document.number")
    document_title = serializers.CharField(source="version.document.title")
    version = serializers.IntegerField(source="version.pk")
    revision = serializers.CharField(source="version.revision")
    version_status = serializers.CharField(source="version.status")
    effective_from = serializers.DateTimeField(source="version.effective_from", allow_null=True)
    standard = serializers.CharField(source="kind")
    items = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = ContentPackage
        fields = [
            "id",
            "document",
            "document_title",
            "version",
            "revision",
            "version_status",
            "effective_from",
            "standard",
            "edition",
            "title",
            "zip_sha256",
            "unpacked_at",
            "items",
            "warnings",
        ]

    @extend_schema_field(ContentItemOut(many=True))  # type: ignore[untyped-decorator]
    def get_items(self, package) -> list:
        return [
            {
                "identifier": i["identifier"],
                "title": i.get("title", ""),
                "href": i.get("href", ""),
                "scorm_type": i.get("scorm_type", ""),
                "mastery_score": i.get("mastery_score"),
                "completion_threshold": i.get("completion_threshold"),
                "move_on": i.get("move_on", ""),
            }
            for i in package.manifest.get("items", [])
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))  # type: ignore[untyped-decorator]
    def get_warnings(self, package) -> list:
        return list(package.manifest.get("warnings", []))


class ContentPackageFilter(django_filters.FilterSet):
    document = django_filters.CharFilter(field_name="version__document__number")
    standard = django_filters.ChoiceFilter(field_name="kind", choices=Kind.choices)
    version_status = django_filters.ChoiceFilter(
        field_name="version__status", choices=VersionStatus.choices
    )

    class Meta:
        model = ContentPackage
        fields = ["document", "standard", "version_status"]


class PackagesView(ListView):
    """E-learning packages: one row per package version, with its standard and items."""

    serializer_class = ContentPackageOut
    filterset_class = ContentPackageFilter

    def get_queryset(self):
        return queries.packages(self.request.user).order_by("pk")


class PackageView(RetrieveView):
    serializer_class = ContentPackageOut

    def get_queryset(self):
        return queries.packages(self.request.user).order_by("pk")


class ContentItemStateOut(serializers.Serializer):
    item = serializers.CharField()
    title = serializers.CharField()
    completion_status = serializers.CharField(required=False, help_text="SCORM")
    success_status = serializers.CharField(required=False, help_text="SCORM")
    score_scaled = serializers.DecimalField(
        max_digits=6, decimal_places=5, allow_null=True, required=False, help_text="SCORM"
    )
    total_seconds = serializers.IntegerField(required=False, help_text="SCORM")
    terminated = serializers.BooleanField(required=False, help_text="SCORM")
    location = serializers.CharField(required=False, help_text="SCORM")
    suspend_data = serializers.CharField(required=False, help_text="SCORM")
    updated_at = serializers.DateTimeField(allow_null=True, required=False, help_text="SCORM")
    verbs = serializers.ListField(child=serializers.CharField(), required=False, help_text="cmi5")
    satisfied = serializers.BooleanField(required=False, help_text="cmi5 moveOn met")
    waived = serializers.BooleanField(required=False, help_text="cmi5")


class ContentAttemptOut(serializers.ModelSerializer):
    person = serializers.CharField(source="person.employee_number")
    requirement = serializers.CharField(source="requirement.code")
    package = serializers.IntegerField(source="package.pk")
    document = serializers.CharField(source="package.version.document.number")
    revision = serializers.CharField(source="package.version.revision")
    standard = serializers.CharField(source="package.kind")

    class Meta:
        model = Attempt
        fields = [
            "id",
            "person",
            "requirement",
            "package",
            "document",
            "revision",
            "standard",
            "number",
            "registration",
            "status",
            "started_at",
            "completed_at",
            "score",
            "session_seconds",
            "record",
        ]


class ContentAttemptDetailOut(ContentAttemptOut):
    state = serializers.SerializerMethodField()
    commits = serializers.SerializerMethodField()
    statements = serializers.SerializerMethodField()

    class Meta(ContentAttemptOut.Meta):
        fields = [*ContentAttemptOut.Meta.fields, "state", "commits", "statements"]

    @extend_schema_field(ContentItemStateOut(many=True))  # type: ignore[untyped-decorator]
    def get_state(self, attempt) -> list:
        return ContentItemStateOut(queries.attempt_state(attempt), many=True).data

    def get_commits(self, attempt) -> int:
        """SCORM commits received (accepted or refused, all kept)."""
        return attempt.commits.count()

    def get_statements(self, attempt) -> int:
        """xAPI statements stored in the attempt's registration (cmi5)."""
        return attempt.statements.count()


class ContentAttemptFilter(django_filters.FilterSet):
    person = django_filters.CharFilter(field_name="person__employee_number")
    requirement = django_filters.CharFilter(field_name="requirement__code")
    document = django_filters.CharFilter(field_name="package__version__document__number")
    package = django_filters.NumberFilter(field_name="package_id")
    status = django_filters.ChoiceFilter(choices=AttemptStatus.choices)

    class Meta:
        model = Attempt
        fields = ["person", "requirement", "document", "package", "status"]


class AttemptsView(ListView):
    """E-learning attempts with their score (a learner reads only their own)."""

    serializer_class = ContentAttemptOut
    filterset_class = ContentAttemptFilter

    def get_queryset(self):
        return queries.attempts(self.request.user)


class AttemptView(RetrieveView):
    """One attempt with the run-time state of each SCO or AU (read-only)."""

    serializer_class = ContentAttemptDetailOut

    def get_queryset(self):
        return queries.attempts(self.request.user)
