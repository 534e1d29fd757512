"""Learning API (issue 14): the redline of an assignment's revision (L3), document
control's section notes, the learner's path (P44), onboarding plans, a curriculum
item's prerequisite (L4) and training effectiveness (P46, P71). Each calls the same
query or service as the pages."""

import datetime as dt
import zoneinfo

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView, RetrieveView
from qualify.documents.models import DocumentVersion
from qualify.documents.queries import versions
from qualify.documents.services.notes import MAX_NOTE, section_note_set
from qualify.org.models import Person
from qualify.org.queries import people
from qualify.quality.queries.effectiveness import visible_deviations
from qualify.reports.library.training_effectiveness import training_effectiveness
from qualify.training import paths
from qualify.training import queries as training_queries
from qualify.training.delta import delta_for, version_of
from qualify.training.models import CurriculumItem, OnboardingPlan, TrainingRecord
from qualify.training.services.paths import (
    curriculum_item_set_prerequisite,
    onboarding_generate,
)


class LineOut(serializers.Serializer):
    kind = serializers.CharField(help_text="same, added, removed, moved-in or moved-out")
    text = serializers.CharField()


class SectionOut(serializers.Serializer):
    title = serializers.CharField()
    status = serializers.CharField(help_text="changed, added, removed or unchanged")
    note = serializers.CharField(help_text="Document control's what changed and why.")
    lines = LineOut(many=True)


class DeltaOut(serializers.Serializer):
    since = serializers.CharField(allow_null=True, help_text="Version last trained on.")
    version = serializers.CharField(allow_null=True)
    readable = serializers.BooleanField()
    sections = SectionOut(many=True, help_text="Changed sections first.")


class AssignmentDeltaView(ApiView):
    serializer_class = DeltaOut

    @extend_schema(
        responses={200: DeltaOut},
        summary="L3: what changed since the version you were last trained on",
    )
    def get(self, request, pk: int):
        assignment = (
            training_queries.visible_assignments(request.user)
            .filter(pk=pk, person__user_id=request.user.pk)
            .select_related("person", "requirement", "document_version__document")
            .first()
        )
        if assignment is None:
            raise NotFound("No such assignment of yours.")
        delta = delta_for(assignment.person, assignment.requirement, version_of(assignment))
        if delta is None:
            body = {"since": None, "version": None, "readable": True, "sections": []}
        else:
            body = {
                "since": str(delta.since),
                "version": str(delta.version),
                "readable": delta.redline.readable,
                "sections": [
                    {
                        "title": s.title,
                        "status": s.status,
                        "note": s.note,
                        "lines": [{"kind": x.kind, "text": x.text} for x in s.lines],
                    }
                    for s in delta.redline.sections
                ],
            }
        return Response(DeltaOut(body).data)


class SectionNoteIn(serializers.Serializer):
    section = serializers.CharField(max_length=200)
    note = serializers.CharField(max_length=MAX_NOTE)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SectionNoteOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    section = serializers.CharField()
    note = serializers.CharField()
    author = serializers.CharField(source="author.username")
    created_at = serializers.DateTimeField()


class SectionNotesView(ApiView):
    queryset = (
        DocumentVersion.objects.none()
    )  # the schema's model (the path's pk); reads go through queries
    serializer_class = SectionNoteOut
    pagination_class = None

    def _version(self, request, pk):
        version = versions(request.user).filter(pk=pk).first()
        if version is None:
            raise NotFound("No such version.")
        return version

    @extend_schema(responses={200: SectionNoteOut(many=True)}, summary="A version's section notes")
    def get(self, request, pk: int):
        version = self._version(request, pk)
        notes = version.section_notes.select_related("author")
        return Response(SectionNoteOut(notes, many=True).data)

    @extend_schema(
        request=SectionNoteIn,
        responses={201: SectionNoteOut},
        summary="L3: add or replace the what-changed-and-why note of a section",
    )
    def post(self, request, pk: int):
        version = self._version(request, pk)
        body = SectionNoteIn(data=request.data)
        body.is_valid(raise_exception=True)
        note = section_note_set(actor=request.user, version=version, **body.validated_data)
        return Response(SectionNoteOut(note).data, status=status.HTTP_201_CREATED)


class StepOut(serializers.Serializer):
    requirement = serializers.CharField(source="requirement.code")
    title = serializers.CharField(source="requirement.title")
    state = serializers.CharField(help_text="done, in grace, open, locked or not assigned")
    depth = serializers.IntegerField()
    target_at = serializers.DateTimeField(allow_null=True)
    missing = serializers.SerializerMethodField()
    grace_ends = serializers.SerializerMethodField()

    def get_missing(self, step) -> list[str]:
        return [r.code for r in step.missing]

    def get_grace_ends(self, step) -> str | None:
        ends = step.answer.grace_ends
        return None if ends is None else serializers.DateTimeField().to_representation(ends)


class PathOut(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    steps = StepOut(many=True)


class MyLearningPathView(ApiView):
    serializer_class = PathOut

    @extend_schema(responses={200: PathOut}, summary="P44: my learning path with progress")
    def get(self, request):
        person = Person.objects.filter(user_id=request.user.pk).first()
        if person is None:
            raise NotFound("You have no person record.")
        return Response(PathOut(paths.learning_path(person)).data)


class EffectivenessOut(serializers.Serializer):
    kind = serializers.CharField(help_text="document or trainer")
    key = serializers.IntegerField(help_text="The document's or the trainer's (person's) id.")
    label = serializers.CharField(help_text="The document's number and title, or the trainer.")
    assessed = serializers.IntegerField(help_text="People with a first assessment attempt.")
    first_passed = serializers.IntegerField()
    pass_rate = serializers.FloatField(allow_null=True, help_text="0 to 1; null: no attempts.")
    trained = serializers.IntegerField(help_text="People trained.")
    deviations = serializers.IntegerField(help_text="Deviations within `days` of the training.")
    retrainings = serializers.IntegerField(help_text="CAPA retrainings completed.")
    recurred = serializers.IntegerField(
        help_text="CAPA retrainings followed by a deviation involving a retrained person."
    )


class EffectivenessQuery(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=3650, default=90, required=False)


class TrainingEffectivenessView(ApiView):
    """P46, P71: the figures of the page and of the report training-effectiveness,
    from the same function (qualify.reports.library.training_effectiveness)."""

    queryset = TrainingRecord.objects.none()  # the schema's model; reads go through the query
    serializer_class = EffectivenessOut
    pagination_class = None

    @extend_schema(
        parameters=[EffectivenessQuery],
        responses={200: EffectivenessOut(many=True)},
        summary="Training effectiveness per document and per trainer (ISO 13485 6.2(d))",
    )
    def get(self, request):
        query = EffectivenessQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = training_effectiveness(
            training_queries.training_records(request.user),
            visible_deviations(request.user),
            days=query.validated_data.get("days", 90),
        )
        return Response(EffectivenessOut(rows, many=True).data)


# --- onboarding plans (P73) ------------------------------------------------------------


class OnboardingStepOut(serializers.Serializer):
    position = serializers.IntegerField()
    requirement = serializers.CharField(source="requirement.code")
    title = serializers.CharField(source="requirement.title")
    target_at = serializers.DateTimeField()
    prerequisite = serializers.CharField(source="prerequisite.code", allow_null=True, default=None)
    job_function = serializers.CharField(source="job_function.code", allow_null=True, default=None)
    curriculum = serializers.CharField(source="curriculum.code", allow_null=True, default=None)


class OnboardingPlanOut(serializers.ModelSerializer):
    person = serializers.CharField(source="person.employee_number")
    person_name = serializers.CharField(source="person.full_name")
    generated_by = serializers.CharField(source="generated_by.username")
    steps = OnboardingStepOut(many=True)

    class Meta:
        model = OnboardingPlan
        fields = ["id", "person", "person_name", "starts_at", "generated_at", "generated_by"]
        fields += ["steps"]


class OnboardingIn(serializers.Serializer):
    person = serializers.CharField(max_length=40, help_text="Employee number of the new hire.")
    starts_on = serializers.DateField(
        help_text="The first day, in the person's site's time zone; targets count from it."
    )


class OnboardingFilter(django_filters.FilterSet):
    person = django_filters.CharFilter(field_name="person__employee_number")

    class Meta:
        model = OnboardingPlan
        fields = ["person"]


class OnboardingPlansView(ListView):
    """The plans the pages show (web:coordinator_onboarding), generated by the same
    service (onboarding_generate)."""

    serializer_class = OnboardingPlanOut
    filterset_class = OnboardingFilter

    def get_queryset(self):
        return paths.onboarding_plans(self.request.user)

    @extend_schema(
        request=OnboardingIn,
        responses={201: OnboardingPlanOut},
        summary="P44: generate a new hire's onboarding plan from their job functions",
    )
    def post(self, request):
        body = OnboardingIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        person = people(request.user).filter(employee_number=data["person"]).first()
        if person is None:
            raise serializers.ValidationError({"person": [f"No person {data['person']!r}."]})
        zone = zoneinfo.ZoneInfo(person.site.time_zone)
        starts_at = dt.datetime.combine(data["starts_on"], dt.time(0), zone)
        plan = onboarding_generate(actor=request.user, person=person, starts_at=starts_at)
        plan = paths.onboarding_plans(request.user).get(pk=plan.pk)
        return Response(OnboardingPlanOut(plan).data, status=status.HTTP_201_CREATED)


class OnboardingPlanView(RetrieveView):
    serializer_class = OnboardingPlanOut

    def get_queryset(self):
        return paths.onboarding_plans(self.request.user)


# --- a curriculum item's prerequisite (P73, L4) ------------------------------------------


class PrerequisiteIn(serializers.Serializer):
    prerequisite = serializers.CharField(
        max_length=60,
        allow_null=True,
        help_text="The code of another item of the same curriculum; null clears it.",
    )
    reason = serializers.CharField(max_length=2000, help_text="Why it changes (A1).")


class CurriculumItemOut(serializers.Serializer):
    curriculum = serializers.CharField(source="curriculum.code")
    requirement = serializers.CharField(source="requirement.code")
    position = serializers.IntegerField()
    prerequisite = serializers.CharField(source="prerequisite.code", allow_null=True, default=None)


class CurriculumItemPrerequisiteView(ApiView):
    queryset = CurriculumItem.objects.none()  # the schema's model (the path's codes)
    serializer_class = CurriculumItemOut
    pagination_class = None

    def _item(self, request, code: str, requirement: str) -> CurriculumItem:
        item = (
            CurriculumItem.objects.filter(
                curriculum__code__iexact=code,
                requirement__in=training_queries.requirements(request.user),
                requirement__code__iexact=requirement,
            )
            .select_related("curriculum", "requirement", "prerequisite")
            .first()
        )
        if item is None:
            raise NotFound(f"No item {requirement} in curriculum {code}.")
        return item

    @extend_schema(responses={200: CurriculumItemOut}, summary="A curriculum item")
    def get(self, request, code: str, requirement: str):
        return Response(CurriculumItemOut(self._item(request, code, requirement)).data)

    @extend_schema(
        request=PrerequisiteIn,
        responses={200: CurriculumItemOut},
        summary="L4: set or clear a curriculum item's prerequisite (a cycle is refused, 400)",
    )
    def put(self, request, code: str, requirement: str):
        item = self._item(request, code, requirement)
        body = PrerequisiteIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        prerequisite = None
        if data["prerequisite"] is not None:
            prerequisite = (
                training_queries.requirements(request.user)
                .filter(code__iexact=data["prerequisite"])
                .first()
            )
            if prerequisite is None:
                raise serializers.ValidationError(
                    {"prerequisite": [f"No requirement {data['prerequisite']!r}."]}
                )
        item = curriculum_item_set_prerequisite(
            actor=request.user, item=item, prerequisite=prerequisite, reason=data["reason"]
        )
        item = CurriculumItem.objects.select_related(
            "curriculum", "requirement", "prerequisite"
        ).get(pk=item.pk)
        return Response(CurriculumItemOut(item).data)
