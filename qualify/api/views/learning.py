"""Learning API (issue 14): the redline of an assignment's revision (L3), document
control's section notes, and the learner's path (P44). Each calls the same query or
service as the pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView
from qualify.documents.models import DocumentVersion
from qualify.documents.queries import versions
from qualify.documents.services.notes import MAX_NOTE, section_note_set
from qualify.org.models import Person
from qualify.quality.queries.effectiveness import visible_deviations
from qualify.reports.library.training_effectiveness import training_effectiveness
from qualify.training import paths
from qualify.training import queries as training_queries
from qualify.training.delta import delta_for, version_of


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
