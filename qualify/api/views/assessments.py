"""Assessments through the API (L1, L2): start, read, submit and sign one's own attempt;
read and replace a bank draft's questions; assessment definitions and item
statistics. An attempt in progress is served without its answer key: the questions,
their shown options (by position) and nothing else."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView
from qualify.api.signing import SignatureIn, credentials
from qualify.api.views.signatures import signatures_by_object
from qualify.api.views.training import RecordOut
from qualify.assessments import bank as bank_format
from qualify.assessments import queries, services
from qualify.assessments.models import Assessment, Attempt, AttemptStatus
from qualify.training.models import TrainingRecord


class AssessmentOut(serializers.ModelSerializer):
    requirement = serializers.CharField(source="requirement.code")
    bank = serializers.CharField(source="bank.number")
    per_topic = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        model = Assessment
        fields = [
            "id",
            "requirement",
            "bank",
            "per_topic",
            "pass_mark",
            "attempt_limit",
            "time_limit_minutes",
            "cooldown_minutes",
            "trainer_review",
            "active",
        ]


class AssessmentsView(ListView):
    serializer_class = AssessmentOut

    def get_queryset(self):
        return queries.assessments(self.request.user).order_by("pk")


class AssessmentChangeIn(serializers.Serializer):
    """What the page's edit form changes (web:assessment_edit), plus the pass mark; a
    field left out is not changed; null clears a limit."""

    per_topic = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Topic → how many questions to draw from it.",
    )
    pass_mark = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text="Percent; it must equal the requirement's pass mark when it has one (Q8).",
    )
    attempt_limit = serializers.IntegerField(required=False, allow_null=True)
    time_limit_minutes = serializers.IntegerField(required=False, allow_null=True)
    cooldown_minutes = serializers.IntegerField(required=False)
    trainer_review = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)
    reason = serializers.CharField(max_length=2000, help_text="Why it changes (A1).")


class AssessmentView(ApiView):
    queryset = Assessment.objects.none()  # the schema's model (the path's pk)
    serializer_class = AssessmentOut

    def _assessment(self, request, pk: int) -> Assessment:
        assessment = queries.assessments(request.user).filter(pk=pk).first()
        if assessment is None:
            raise NotFound("No such assessment.")
        return assessment

    @extend_schema(responses={200: AssessmentOut}, summary="An assessment definition")
    def get(self, request, pk: int):
        return Response(AssessmentOut(self._assessment(request, pk)).data)

    @extend_schema(
        request=AssessmentChangeIn,
        responses={200: AssessmentOut},
        summary="Change how an assessment draws and judges (the page's service); attempts "
        "already started keep what they drew",
    )
    def patch(self, request, pk: int):
        assessment = self._assessment(request, pk)
        body = AssessmentChangeIn(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        reason = changes.pop("reason")
        assessment = services.assessment_update(
            actor=request.user, assessment=assessment, reason=reason, **changes
        )
        return Response(AssessmentOut(self._assessment(request, assessment.pk)).data)


class OptionOut(serializers.Serializer):
    position = serializers.IntegerField()
    text = serializers.CharField()


class QuestionOut(serializers.Serializer):
    position = serializers.IntegerField()
    topic = serializers.CharField()
    kind = serializers.CharField()
    prompt = serializers.CharField()
    excerpt = serializers.CharField()
    options = OptionOut(many=True)


class ResultOut(serializers.Serializer):
    position = serializers.IntegerField()
    topic = serializers.CharField()
    prompt = serializers.CharField()
    given = serializers.CharField()
    expected = serializers.CharField()
    correct = serializers.BooleanField(allow_null=True)
    explanation = serializers.CharField()


class TopicOut(serializers.Serializer):
    topic = serializers.CharField()
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    missed = serializers.BooleanField()


class AttemptOut(serializers.ModelSerializer):
    requirement = serializers.CharField(source="assessment.requirement.code")
    bank = serializers.CharField(source="bank_version.document.number")
    bank_revision = serializers.CharField(source="bank_version.revision")
    questions = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()
    topics = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [
            "id",
            "requirement",
            "number",
            "status",
            "bank",
            "bank_revision",
            "started_at",
            "deadline",
            "submitted_at",
            "score",
            "pass_mark",
            "record",
            "questions",
            "results",
            "topics",
        ]

    @extend_schema_field(QuestionOut(many=True))  # type: ignore[untyped-decorator]
    def get_questions(self, attempt) -> list:
        return [
            {
                "position": q.position,
                "topic": q.topic,
                "kind": q.kind,
                "prompt": q.prompt,
                "excerpt": q.excerpt,
                "options": [{"position": n, "text": t} for n, t in q.options],
            }
            for q in queries.shown_items(attempt)
        ]

    @extend_schema_field(ResultOut(many=True))  # type: ignore[untyped-decorator]
    def get_results(self, attempt) -> list | None:
        """The answers with what was expected: only once the attempt is submitted."""
        if attempt.status == AttemptStatus.IN_PROGRESS:
            return None
        return ResultOut(queries.result_items(attempt), many=True).data

    @extend_schema_field(TopicOut(many=True))  # type: ignore[untyped-decorator]
    def get_topics(self, attempt) -> list | None:
        if attempt.status == AttemptStatus.IN_PROGRESS:
            return None
        return TopicOut(queries.topics(attempt), many=True).data


class AttemptStartView(ApiView):
    serializer_class = AttemptOut

    @extend_schema(
        request=None,
        responses={201: AttemptOut},
        summary="Start an attempt at an assessment (questions drawn from the bank in force)",
    )
    def post(self, request, pk: int):
        assessment = queries.assessments(request.user).filter(pk=pk, active=True).first()
        if assessment is None:
            raise NotFound("No such assessment.")
        attempt = services.attempt_start(actor=request.user, assessment=assessment)
        return Response(AttemptOut(attempt).data, status=status.HTTP_201_CREATED)


class MyAttemptsView(ListView):
    serializer_class = AttemptOut

    def get_queryset(self):
        return queries.my_attempts(self.request.user).order_by("pk")


class AttemptView(ApiView):
    serializer_class = AttemptOut

    @extend_schema(responses={200: AttemptOut}, summary="One of my attempts")
    def get(self, request, pk: int):
        attempt = queries.my_attempts(request.user).filter(pk=pk).first()
        if attempt is None:
            raise NotFound("No such attempt.")
        return Response(AttemptOut(attempt).data)


class SubmitIn(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Question position → answer: the shown option's position (a list for "
        "multiple choice; for ordering, each shown step's place, in shown order), true or "
        "false, a number, or text.",
    )


class AttemptSubmitView(ApiView):
    serializer_class = SubmitIn

    @extend_schema(
        request=SubmitIn, responses={200: AttemptOut}, summary="Submit the answers (scored here)"
    )
    def post(self, request, pk: int):
        attempt = queries.my_attempts(request.user).filter(pk=pk).first()
        if attempt is None:
            raise NotFound("No such attempt.")
        body = SubmitIn(data=request.data)
        body.is_valid(raise_exception=True)
        attempt = services.attempt_submit(
            actor=request.user, attempt=attempt, answers=body.validated_data["answers"]
        )
        return Response(AttemptOut(attempt).data)


class SignIn(SignatureIn):
    pass


def _my_attempt(request, pk: int):
    attempt = queries.my_attempts(request.user).filter(pk=pk).first()
    if attempt is None:
        raise NotFound("No such attempt.")
    return attempt


class AttemptSignView(ApiView):
    serializer_class = SignIn
    signs = "completed_assessment"

    def signed_object(self, request, pk: int):
        return _my_attempt(request, pk)

    @extend_schema(
        request=SignIn,
        responses={201: RecordOut},
        summary="Sign the result (meaning: completed assessment); a passed attempt completes "
        "the assignment",
    )
    def post(self, request, pk: int):
        attempt = _my_attempt(request, pk)
        body = SignIn(data=request.data)
        body.is_valid(raise_exception=True)
        record = services.attempt_sign(
            actor=request.user,
            attempt=attempt,
            credentials=credentials(request, body.validated_data, attempt),
        )
        signatures = signatures_by_object(TrainingRecord, [record.pk])
        return Response(
            RecordOut(record, context={"signatures": signatures}).data,
            status=status.HTTP_201_CREATED,
        )


class BankIn(serializers.Serializer):
    questions = serializers.JSONField(
        required=False, help_text="The questions in the interchange format (a list)."
    )
    text = serializers.CharField(
        required=False, max_length=2 * 1024 * 1024, help_text="…or YAML or JSON text."
    )
    format = serializers.ChoiceField(choices=["yaml", "json"], default="yaml")
    reason = serializers.CharField(max_length=500, required=False, default="")


class BankOut(serializers.Serializer):
    document = serializers.CharField()
    revision = serializers.CharField()
    status = serializers.CharField()
    problem = serializers.CharField(allow_null=True)
    questions = serializers.ListField(child=serializers.DictField())


class BankQuestionsView(ApiView):
    serializer_class = BankIn
    queryset = Attempt.objects.none()  # the schema's model; reads go through queries

    def _version(self, request, pk):
        version = queries.bank_versions(request.user).filter(pk=pk).first()
        if version is None:
            raise NotFound("No such question bank version.")
        return version

    def _out(self, version):
        return {
            "document": version.document.number,
            "revision": version.revision,
            "status": version.status,
            "problem": bank_format.problem(version),
            "questions": [bank_format.to_interchange(q) for q in bank_format.questions_of(version)],
        }

    @extend_schema(responses={200: BankOut}, summary="A bank version's questions, with answers")
    def get(self, request, pk: int):
        return Response(self._out(self._version(request, pk)))

    @extend_schema(
        request=BankIn,
        responses={200: BankOut},
        summary="Replace a bank draft's questions (all or nothing)",
    )
    def post(self, request, pk: int):
        version = self._version(request, pk)
        body = BankIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "questions" not in data and "text" not in data:
            raise ValidationError({"questions": "Give the questions or the text."})
        services.bank_save(
            actor=request.user,
            version=version,
            questions=data.get("questions"),
            text=data.get("text"),
            fmt=data["format"],
            reason=data["reason"],
        )
        version.refresh_from_db()
        return Response(self._out(version))


class StatisticOut(serializers.Serializer):
    key = serializers.CharField()
    topic = serializers.CharField()
    prompt = serializers.CharField()
    answered = serializers.IntegerField()
    difficulty = serializers.FloatField(allow_null=True)
    discrimination = serializers.FloatField(allow_null=True)


class BankStatisticsView(ApiView):
    serializer_class = StatisticOut
    queryset = Attempt.objects.none()  # the schema's model; reads go through queries

    @extend_schema(
        responses={200: StatisticOut(many=True)},
        summary="Item statistics of a bank version: difficulty and discrimination",
    )
    def get(self, request, pk: int):
        version = queries.bank_versions(request.user).filter(pk=pk).first()
        if version is None:
            raise NotFound("No such question bank version.")
        return Response(StatisticOut(queries.item_statistics(version), many=True).data)
