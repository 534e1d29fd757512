"""People and job functions: read, and the HR feed (create/update, bulk, deactivate)."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView, RetrieveView
from qualify.api.fields import AwareDateTimeField, StrictBooleanFilter
from qualify.api.hr import PersonInput, people_bulk_upsert, person_upsert
from qualify.api.idempotency import idempotent
from qualify.org import services as org
from qualify.org.models import JobAssignment, JobFunction, Person
from qualify.org.queries import job_assignments, job_functions, people

MAX_BULK = 1000


class JobAssignmentOut(serializers.ModelSerializer):
    job_function = serializers.CharField(source="job_function.code")

    class Meta:
        model = JobAssignment
        fields = ["id", "job_function", "valid_from", "valid_to", "recorded_at", "end_recorded_at"]


class PersonOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code")
    department = serializers.CharField(source="department.code", allow_null=True, default=None)
    manager = serializers.CharField(source="manager.employee_number", allow_null=True, default=None)
    username = serializers.CharField(source="user.username", allow_null=True, default=None)
    job_assignments = JobAssignmentOut(many=True, read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "employee_number",
            "full_name",
            "email",
            "site",
            "department",
            "manager",
            "username",
            "employed_from",
            "active",
            "left_at",
            "deactivated_at",
            "job_assignments",
        ]


class PersonFilter(django_filters.FilterSet):
    employee_number = django_filters.CharFilter()
    active = StrictBooleanFilter()
    site = django_filters.CharFilter(field_name="site__code")

    class Meta:
        model = Person
        fields = ["employee_number", "active", "site"]


class PersonUpsertIn(PersonInput):
    reason = serializers.CharField(
        required=False, default="Updated from the HR feed", help_text="Reason for changes (A1)."
    )


class BulkIn(serializers.Serializer):
    people = PersonInput(many=True, max_length=MAX_BULK)
    reason = serializers.CharField(required=False, default="Updated from the HR feed")


class BulkOut(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    people = PersonOut(many=True)


class DeactivateIn(serializers.Serializer):
    reason = serializers.CharField()
    left_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the person left, with a UTC offset (default: now).",
    )


def _people(user):
    return (
        people(user)
        .select_related("manager")
        .prefetch_related(
            # U2: a person's job history shows only the user's clients' job functions.
            Prefetch("job_assignments", job_assignments(user).order_by("valid_from", "pk"))
        )
    )


class PeopleView(ListView):
    serializer_class = PersonOut
    filterset_class = PersonFilter

    def get_queryset(self):
        return _people(self.request.user)

    @extend_schema(
        request=PersonUpsertIn,
        responses={200: PersonOut, 201: PersonOut},
        summary="Create or update a person (by employee number) and their job assignments",
    )
    @idempotent
    def post(self, request):
        data = _valid(PersonUpsertIn, request.data, request.user)
        person, created = person_upsert(actor=request.user, data=data, reason=data["reason"])
        body = PersonOut(_people(request.user).get(pk=person.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _valid(serializer_class, data, user) -> dict:
    serializer = serializer_class(data=data, context={"request_user": user})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PeopleBulkView(ApiView):
    serializer_class = BulkIn

    @extend_schema(
        request=BulkIn,
        responses={200: BulkOut},
        summary="Create or update up to 1,000 people at once; all or nothing",
    )
    @idempotent
    def post(self, request):
        data = _valid(BulkIn, request.data, request.user)
        # All checked first, new people written in bulk, all or nothing (P17).
        written, created = people_bulk_upsert(
            actor=request.user, items=data["people"], reason=data["reason"]
        )
        done = [p.pk for p in written]
        rows = {p.pk: p for p in _people(request.user).filter(pk__in=done)}
        return Response(
            {
                "created": created,
                "updated": len(done) - created,
                "people": PersonOut([rows[pk] for pk in done], many=True).data,
            }
        )


class PersonView(RetrieveView):
    serializer_class = PersonOut
    lookup_field = "employee_number"

    def get_queryset(self):
        return _people(self.request.user)


class PersonDeactivateView(ApiView):
    serializer_class = DeactivateIn

    @extend_schema(request=DeactivateIn, responses={200: PersonOut}, summary="Deactivate (G6)")
    @idempotent
    def post(self, request, employee_number):
        person = people(request.user).filter(employee_number=employee_number).first()
        if person is None:
            raise NotFound(f"No person {employee_number!r}.")
        data = _valid(DeactivateIn, request.data, request.user)
        org.person_deactivate(
            actor=request.user, person=person, reason=data["reason"], left_at=data["left_at"]
        )
        return Response(PersonOut(_people(request.user).get(pk=person.pk)).data)


class JobFunctionOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code", allow_null=True, default=None)
    client = serializers.CharField(source="client.code", allow_null=True, default=None)

    class Meta:
        model = JobFunction
        fields = ["id", "code", "name", "site", "client", "active"]


class JobFunctionsView(ListView):
    serializer_class = JobFunctionOut
    filterset_fields = ["code", "active"]

    def get_queryset(self):
        return job_functions(self.request.user)
