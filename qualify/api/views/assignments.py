"""Ad-hoc training assignments (G5), their cancellation (G6, G7) and training record
corrections (R1) through the API. Each operation is an input serializer calling one
service; refusals are problem+json naming the field."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView
from qualify.api.fields import AwareDateTimeField
from qualify.api.views.signatures import signatures_by_object
from qualify.api.views.training import AssignmentOut, RecordOut
from qualify.documents.models import VersionStatus
from qualify.documents.queries import documents
from qualify.org.queries import job_functions
from qualify.org.queries import people as people_query
from qualify.signatures.services import Credentials
from qualify.training import queries as training_queries
from qualify.training import services as training
from qualify.training.models import TRAINER_METHODS, Curriculum, TrainingRecord


class AdHocIn(serializers.Serializer):
    document = serializers.CharField(
        required=False, max_length=40, help_text="Document number: every requirement linked."
    )
    curriculum = serializers.CharField(required=False, max_length=60, help_text="Curriculum code.")
    requirement = serializers.CharField(
        required=False, max_length=60, help_text="Training requirement code."
    )
    people = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        max_length=5000,
        help_text="Employee numbers or user ids.",
    )
    job_function = serializers.CharField(
        required=False, max_length=60, help_text="Job function code: everyone holding it now."
    )
    due_at = AwareDateTimeField()
    reason = serializers.CharField(max_length=300)

    def validate(self, data):
        user = self.context["user"]
        named = [n for n in ("document", "curriculum", "requirement") if data.get(n)]
        if len(named) != 1:
            raise serializers.ValidationError(
                {"document": "Give exactly one of document, curriculum or requirement."}
            )
        if "document" in data:
            found = documents(user).filter(number__iexact=data["document"]).first()
            if found is None:
                raise serializers.ValidationError({"document": "No such document."})
            data["document"] = found
        if "curriculum" in data:
            found = Curriculum.objects.filter(code__iexact=data["curriculum"]).first()
            if found is None:
                raise serializers.ValidationError({"curriculum": "No such curriculum."})
            data["curriculum"] = found
        if "requirement" in data:
            found = training_queries.requirements(user).filter(code=data["requirement"]).first()
            if found is None:
                raise serializers.ValidationError({"requirement": "No such requirement."})
            data["requirement"] = found
        if "job_function" in data:
            found = job_functions(user).filter(code__iexact=data["job_function"]).first()
            if found is None:
                raise serializers.ValidationError({"job_function": "No such job function."})
            data["job_function"] = found
        people, unknown = [], []
        visible = people_query(user)
        for key in data.get("people", []):
            match = Q(employee_number__iexact=key) | Q(user__username__iexact=key)
            person = visible.filter(match).first()
            (unknown.append(key) if person is None else people.append(person))
        if unknown:
            raise serializers.ValidationError(
                {"people": f"No person has this employee number or user id: {', '.join(unknown)}."}
            )
        data["people"] = people
        return data


class AdHocOut(serializers.Serializer):
    created = AssignmentOut(many=True)
    already_open = AssignmentOut(many=True)


class AdHocView(ApiView):
    serializer_class = AdHocIn

    @extend_schema(
        request=AdHocIn,
        responses={201: AdHocOut},
        summary="Assign a document, curriculum or requirement to people or a job function "
        "(training.services.assignment_assign_adhoc)",
    )
    def post(self, request):
        body = AdHocIn(data=request.data, context={"user": request.user})
        body.is_valid(raise_exception=True)
        result = training.assignment_assign_adhoc(actor=request.user, **body.validated_data)
        return Response(
            {
                "created": AssignmentOut(result.created, many=True).data,
                "already_open": AssignmentOut(result.already_open, many=True).data,
            },
            status=status.HTTP_201_CREATED,
        )


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AssignmentCancelView(ApiView):
    serializer_class = CancelIn

    @extend_schema(
        request=CancelIn,
        responses={200: AssignmentOut},
        summary="Cancel an open assignment a coordinator made, with the reason",
    )
    def post(self, request, pk: int):
        assignment = training_queries.visible_assignments(request.user).filter(pk=pk).first()
        if assignment is None:
            raise NotFound("No such assignment.")
        body = CancelIn(data=request.data)
        body.is_valid(raise_exception=True)
        cancelled = training.assignment_cancel(
            actor=request.user, assignment=assignment, reason=body.validated_data["reason"]
        )
        return Response(AssignmentOut(cancelled).data)


class CorrectionIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    password = serializers.CharField(
        required=False,
        write_only=True,
        help_text="The caller's password: their signature, when they are the trainee or the "
        "trainer of a classroom or on-the-job record.",
    )
    trainee_username = serializers.CharField(required=False, max_length=150)
    trainee_password = serializers.CharField(
        required=False, write_only=True, help_text="The trainee signs when someone else corrects."
    )
    notes = serializers.CharField(required=False, max_length=4000)
    score = serializers.DecimalField(
        required=False, max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    attested_at = AwareDateTimeField(required=False)
    completed_at = AwareDateTimeField(required=False)
    revision = serializers.CharField(
        required=False, max_length=20, help_text="The approved revision actually read."
    )
    trainer = serializers.CharField(
        required=False, max_length=40, help_text="Trainer's employee number."
    )


class RecordCorrectView(ApiView):
    serializer_class = CorrectionIn

    @extend_schema(
        request=CorrectionIn,
        responses={201: RecordOut},
        summary="Correct a training record: a new signed record supersedes it (R1)",
    )
    def post(self, request, pk: int):
        record = training_queries.training_records(request.user).filter(pk=pk).first()
        if record is None:
            raise NotFound("No such training record.")
        body = CorrectionIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        reason = data.pop("reason")
        password = data.pop("password", "")
        trainee_username = data.pop("trainee_username", None)
        trainee_password = data.pop("trainee_password", None)
        fields = data
        if "revision" in fields:
            version = (
                record.requirement.document.versions.filter(
                    revision=fields.pop("revision"), status=VersionStatus.APPROVED
                ).first()
                if record.requirement.document_id
                else None
            )
            if version is None:
                raise serializers.ValidationError(
                    {"revision": "Name an approved revision of the requirement's document."}
                )
            fields["document_version"] = version
        if "trainer" in fields:
            trainer = people_query(request.user).filter(employee_number=fields["trainer"]).first()
            if trainer is None:
                raise serializers.ValidationError({"trainer": "No such person."})
            fields["trainer"] = trainer
        is_trainee = record.person.user_id == request.user.pk
        if (record.method in TRAINER_METHODS or is_trainee) and not password:
            raise serializers.ValidationError({"password": "Sign the correction: your password."})
        trainee_credentials = None
        if not is_trainee:
            if not (trainee_username and trainee_password):
                raise serializers.ValidationError(
                    {"trainee_password": "The trainee signs the correction: user id and password."}
                )
            trainee_credentials = Credentials(
                username=trainee_username, password=trainee_password, session=None
            )
        new = training.record_correct(
            actor=request.user,
            record=record,
            reason=reason,
            credentials=Credentials(
                username=request.user.username, password=password, session=None
            ),
            trainee_credentials=trainee_credentials,
            **fields,
        )
        signatures = signatures_by_object(TrainingRecord, [new.pk])
        return Response(
            RecordOut(new, context={"signatures": signatures}).data,
            status=status.HTTP_201_CREATED,
        )
