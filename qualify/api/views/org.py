"""Organisation set-up: sites, departments, clients, frameworks and job functions are
created, renamed (PATCH, with a reason) and retired (never deleted); people change
job (effective-dated, T2) and manager. Lists are filtered and sorted by the same
FilterSets as the pages (qualify.org.filtersets). Every write is one org service."""

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, Cursor, ListView
from qualify.api.fields import AwareDateTimeField
from qualify.api.idempotency import idempotent
from qualify.org import filtersets, queries
from qualify.org import services as org
from qualify.org.models import (
    Client,
    Department,
    Framework,
    GatePolicy,
    JobAssignment,
    JobFunction,
    Person,
    Site,
)

# --- shared shapes ---------------------------------------------------------------


class SortedCursor(Cursor):
    """Cursor pages in the order `sort` asks for (the FilterSet checked the value),
    the primary key breaking ties; by id otherwise."""

    def get_ordering(self, request, queryset, view):
        sort = request.query_params.get("sort", "").strip()
        if sort:
            field = view.filterset_class.base_filters["sort"].param_map.get(sort.lstrip("-"))
            if field:
                return (f"-{field}" if sort.startswith("-") else field, "pk")
        return ("pk",)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(help_text="Why (A1: every change has a reason).")


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _get(queryset: QuerySet, what: str, **lookup) -> Model:
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise NotFound(f"No {what} {next(iter(lookup.values()))!r}.")
    return obj


def _code(value: str) -> dict:
    return {"code__iexact": value}


class CodeRef(serializers.SlugRelatedField):
    """A related row named by its code (letter case ignored); retired rows are
    refused by the service with a message naming them."""

    def to_internal_value(self, data):
        row = self.get_queryset().filter(code__iexact=str(data).strip()).first()
        if row is None:
            self.fail("does_not_exist", slug_name="code", value=data)
        return row


class OrgList(ListView):
    pagination_class = SortedCursor
    out: type[serializers.Serializer]

    def get_serializer_class(self):
        return self.out


# --- sites -------------------------------------------------------------------------


class SiteOut(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = [
            "id",
            "code",
            "name",
            "time_zone",
            "gate_policy",
            "allow_untrained_documents",
            "late_entry_hours",
            "active",
            "retired_at",
        ]


class SiteIn(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Europe/Dublin.")
    gate_policy = serializers.ChoiceField(GatePolicy.choices, required=False)
    allow_untrained_documents = serializers.BooleanField(required=False)
    late_entry_hours = serializers.IntegerField(min_value=0, max_value=10000, required=False)


class SiteChangeIn(ReasonIn):
    name = serializers.CharField(max_length=200, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    gate_policy = serializers.ChoiceField(GatePolicy.choices, required=False)
    allow_untrained_documents = serializers.BooleanField(required=False)
    late_entry_hours = serializers.IntegerField(min_value=0, max_value=10000, required=False)


class SitesView(OrgList):
    out = SiteOut
    filterset_class = filtersets.SiteFilter

    def get_queryset(self):
        return queries.sites(self.request.user)

    @extend_schema(request=SiteIn, responses={201: SiteOut}, summary="Create a site")
    @idempotent
    def post(self, request):
        data = _valid(SiteIn, request.data)
        site = org.site_create(actor=request.user, **data)
        return Response(SiteOut(site).data, status=status.HTTP_201_CREATED)


class SiteView(ApiView):
    serializer_class = SiteOut

    def _site(self, code):
        return _get(queries.sites(self.request.user), "site", **_code(code))

    @extend_schema(responses={200: SiteOut}, summary="A site")
    def get(self, request, code):
        return Response(SiteOut(self._site(code)).data)

    @extend_schema(request=SiteChangeIn, responses={200: SiteOut}, summary="Change a site")
    @idempotent
    def patch(self, request, code):
        data = _valid(SiteChangeIn, request.data)
        site = org.site_update(actor=request.user, site=self._site(code), **data)
        return Response(SiteOut(site).data)


class SiteRetireView(ApiView):
    serializer_class = ReasonIn

    @extend_schema(request=ReasonIn, responses={200: SiteOut}, summary="Retire a site")
    @idempotent
    def post(self, request, code):
        site = _get(queries.sites(request.user), "site", **_code(code))
        data = _valid(ReasonIn, request.data)
        return Response(SiteOut(org.site_retire(actor=request.user, site=site, **data)).data)


# --- departments ----------------------------------------------------------------------


class DepartmentOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code")

    class Meta:
        model = Department
        fields = ["id", "site", "code", "name", "active", "retired_at"]


class DepartmentIn(serializers.Serializer):
    site = CodeRef(slug_field="code", queryset=Site.objects.all())
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)


class NameChangeIn(ReasonIn):
    name = serializers.CharField(max_length=200)


class DepartmentsView(OrgList):
    out = DepartmentOut
    filterset_class = filtersets.DepartmentFilter

    def get_queryset(self):
        return queries.departments(self.request.user)

    @extend_schema(request=DepartmentIn, responses={201: DepartmentOut}, summary="Create")
    @idempotent
    def post(self, request):
        data = _valid(DepartmentIn, request.data)
        department = org.department_create(actor=request.user, **data)
        return Response(DepartmentOut(department).data, status=status.HTTP_201_CREATED)


class DepartmentView(ApiView):
    serializer_class = DepartmentOut

    def _department(self, pk):
        return _get(queries.departments(self.request.user), "department", pk=pk)

    @extend_schema(responses={200: DepartmentOut}, summary="A department")
    def get(self, request, pk):
        return Response(DepartmentOut(self._department(pk)).data)

    @extend_schema(request=NameChangeIn, responses={200: DepartmentOut}, summary="Rename")
    @idempotent
    def patch(self, request, pk):
        data = _valid(NameChangeIn, request.data)
        department = org.department_update(
            actor=request.user, department=self._department(pk), **data
        )
        return Response(DepartmentOut(department).data)


class DepartmentRetireView(ApiView):
    serializer_class = ReasonIn

    @extend_schema(request=ReasonIn, responses={200: DepartmentOut}, summary="Retire")
    @idempotent
    def post(self, request, pk):
        department = _get(queries.departments(request.user), "department", pk=pk)
        data = _valid(ReasonIn, request.data)
        department = org.department_retire(actor=request.user, department=department, **data)
        return Response(DepartmentOut(department).data)


# --- clients and frameworks (code and name) -----------------------------------------------


class ClientOut(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "code", "name", "active", "retired_at"]


class FrameworkOut(serializers.ModelSerializer):
    class Meta:
        model = Framework
        fields = ["id", "code", "name", "active", "retired_at"]


class CodeNameIn(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)


class ClientsView(OrgList):
    out = ClientOut
    filterset_class = filtersets.ClientFilter

    def get_queryset(self):
        return queries.clients(self.request.user)

    @extend_schema(request=CodeNameIn, responses={201: ClientOut}, summary="Create a client")
    @idempotent
    def post(self, request):
        client = org.client_create(actor=request.user, **_valid(CodeNameIn, request.data))
        return Response(ClientOut(client).data, status=status.HTTP_201_CREATED)


class ClientView(ApiView):
    serializer_class = ClientOut

    def _client(self, code):
        return _get(queries.clients(self.request.user), "client", **_code(code))

    @extend_schema(responses={200: ClientOut}, summary="A client")
    def get(self, request, code):
        return Response(ClientOut(self._client(code)).data)

    @extend_schema(request=NameChangeIn, responses={200: ClientOut}, summary="Rename a client")
    @idempotent
    def patch(self, request, code):
        data = _valid(NameChangeIn, request.data)
        client = org.client_update(actor=request.user, client=self._client(code), **data)
        return Response(ClientOut(client).data)


class ClientRetireView(ApiView):
    serializer_class = ReasonIn

    @extend_schema(request=ReasonIn, responses={200: ClientOut}, summary="Retire a client")
    @idempotent
    def post(self, request, code):
        client = _get(queries.clients(request.user), "client", **_code(code))
        data = _valid(ReasonIn, request.data)
        return Response(
            ClientOut(org.client_retire(actor=request.user, client=client, **data)).data
        )


class FrameworksView(OrgList):
    out = FrameworkOut
    filterset_class = filtersets.FrameworkFilter

    def get_queryset(self):
        return queries.frameworks(self.request.user)

    @extend_schema(request=CodeNameIn, responses={201: FrameworkOut}, summary="Add a framework")
    @idempotent
    def post(self, request):
        data = _valid(CodeNameIn, request.data)
        org.check_code_free(Framework, data["code"].replace(" ", ""))
        framework = org.framework_ensure(actor=request.user, **data)
        return Response(FrameworkOut(framework).data, status=status.HTTP_201_CREATED)


class FrameworkView(ApiView):
    serializer_class = FrameworkOut

    def _framework(self, code):
        return _get(queries.frameworks(self.request.user), "framework", **_code(code))

    @extend_schema(responses={200: FrameworkOut}, summary="A framework")
    def get(self, request, code):
        return Response(FrameworkOut(self._framework(code)).data)

    @extend_schema(request=NameChangeIn, responses={200: FrameworkOut}, summary="Rename")
    @idempotent
    def patch(self, request, code):
        data = _valid(NameChangeIn, request.data)
        framework = org.framework_update(
            actor=request.user, framework=self._framework(code), **data
        )
        return Response(FrameworkOut(framework).data)


class FrameworkRetireView(ApiView):
    serializer_class = ReasonIn

    @extend_schema(request=ReasonIn, responses={200: FrameworkOut}, summary="Retire")
    @idempotent
    def post(self, request, code):
        framework = _get(queries.frameworks(request.user), "framework", **_code(code))
        data = _valid(ReasonIn, request.data)
        framework = org.framework_retire(actor=request.user, framework=framework, **data)
        return Response(FrameworkOut(framework).data)


# --- job functions -------------------------------------------------------------------------


class JobFunctionOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code", allow_null=True, default=None)
    department = serializers.CharField(source="department.code", allow_null=True, default=None)
    client = serializers.CharField(source="client.code", allow_null=True, default=None)
    frameworks = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = JobFunction
        fields = [
            "id",
            "code",
            "name",
            "site",
            "department",
            "client",
            "frameworks",
            "active",
            "retired_at",
        ]
        ref_name = "OrgJobFunctionOut"  # the schema's name; people.py has its own


class JobFunctionIn(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    site = CodeRef(slug_field="code", queryset=Site.objects.all(), required=False, allow_null=True)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )
    client = CodeRef(
        slug_field="code", queryset=Client.objects.all(), required=False, allow_null=True
    )
    frameworks = CodeRef(
        slug_field="code", queryset=Framework.objects.all(), many=True, required=False
    )


class JobFunctionChangeIn(ReasonIn):
    code = serializers.CharField(max_length=40, required=False)
    name = serializers.CharField(max_length=200, required=False)
    site = CodeRef(slug_field="code", queryset=Site.objects.all(), required=False, allow_null=True)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )
    frameworks = CodeRef(
        slug_field="code", queryset=Framework.objects.all(), many=True, required=False
    )


def _job_functions(user):
    return queries.job_functions(user).prefetch_related("frameworks")


class JobFunctionsView(OrgList):
    out = JobFunctionOut
    filterset_class = filtersets.JobFunctionFilter

    def get_queryset(self):
        return _job_functions(self.request.user)

    @extend_schema(request=JobFunctionIn, responses={201: JobFunctionOut}, summary="Create")
    @idempotent
    def post(self, request):
        data = _valid(JobFunctionIn, request.data)
        job_function = org.job_function_create(actor=request.user, **data)
        body = JobFunctionOut(_job_functions(request.user).get(pk=job_function.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class JobFunctionView(ApiView):
    serializer_class = JobFunctionOut

    def _job_function(self, code):
        return _get(_job_functions(self.request.user), "job function", **_code(code))

    @extend_schema(responses={200: JobFunctionOut}, summary="A job function")
    def get(self, request, code):
        return Response(JobFunctionOut(self._job_function(code)).data)

    @extend_schema(request=JobFunctionChangeIn, responses={200: JobFunctionOut}, summary="Change")
    @idempotent
    def patch(self, request, code):
        data = _valid(JobFunctionChangeIn, request.data)
        job_function = org.job_function_update(
            actor=request.user, job_function=self._job_function(code), **data
        )
        return Response(JobFunctionOut(_job_functions(request.user).get(pk=job_function.pk)).data)


class JobFunctionRetireView(ApiView):
    serializer_class = ReasonIn

    @extend_schema(request=ReasonIn, responses={200: JobFunctionOut}, summary="Retire")
    @idempotent
    def post(self, request, code):
        job_function = _get(_job_functions(request.user), "job function", **_code(code))
        data = _valid(ReasonIn, request.data)
        org.job_function_retire(actor=request.user, job_function=job_function, **data)
        return Response(JobFunctionOut(_job_functions(request.user).get(pk=job_function.pk)).data)


# --- people: change of job, manager ------------------------------------------------------------


class JobChangeIn(ReasonIn):
    job_function = serializers.CharField(help_text="Code of the new job function.")
    effective = AwareDateTimeField(help_text="When the change takes effect, with a UTC offset.")
    ending = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Id of the job assignment that ends when the new one starts.",
    )


class JobAssignmentOut(serializers.ModelSerializer):
    person = serializers.CharField(source="person.employee_number")
    job_function = serializers.CharField(source="job_function.code")

    class Meta:
        model = JobAssignment
        fields = ["id", "person", "job_function", "valid_from", "valid_to", "reason"]
        ref_name = "OrgJobAssignmentOut"  # the schema's name; people.py has its own


class ManagerIn(ReasonIn):
    manager = serializers.CharField(
        allow_null=True, help_text="Employee number of the manager; null for none."
    )


class PersonManagerOut(serializers.ModelSerializer):
    manager = serializers.CharField(source="manager.employee_number", allow_null=True, default=None)

    class Meta:
        model = Person
        fields = ["id", "employee_number", "full_name", "manager"]


def _person(user, employee_number) -> Person:
    return _get(queries.people(user), "person", employee_number__iexact=employee_number)


class JobChangeView(ApiView):
    serializer_class = JobChangeIn

    @extend_schema(
        request=JobChangeIn,
        responses={201: JobAssignmentOut},
        summary="Change a person's job from an instant: end one assignment, start another",
    )
    @idempotent
    def post(self, request, employee_number):
        person = _person(request.user, employee_number)
        data = _valid(JobChangeIn, request.data)
        job_function = queries.job_functions(request.user).filter(
            code__iexact=data["job_function"].strip()
        )
        job_function = job_function.first()
        if job_function is None:
            raise serializers.ValidationError({"job_function": ["No such job function."]})
        ending = None
        if data.get("ending") is not None:
            ending = (
                queries.job_assignments(request.user)
                .filter(pk=data["ending"], person=person)
                .first()
            )
            if ending is None:
                raise serializers.ValidationError(
                    {"ending": [f"{person} has no job assignment {data['ending']}."]}
                )
        assignment = org.person_change_job(
            actor=request.user,
            person=person,
            ending=ending,
            job_function=job_function,
            effective=data["effective"],
            reason=data["reason"],
        )
        return Response(JobAssignmentOut(assignment).data, status=status.HTTP_201_CREATED)


class ManagerView(ApiView):
    serializer_class = ManagerIn

    @extend_schema(request=ManagerIn, responses={200: PersonManagerOut}, summary="Set manager")
    @idempotent
    def post(self, request, employee_number):
        person = _person(request.user, employee_number)
        data = _valid(ManagerIn, request.data)
        manager = None
        if data["manager"]:
            manager = queries.people(request.user).filter(
                employee_number__iexact=data["manager"].strip()
            )
            manager = manager.first()
            if manager is None:
                raise serializers.ValidationError({"manager": ["No such person."]})
        person = org.person_set_manager(
            actor=request.user, person=person, manager=manager, reason=data["reason"]
        )
        return Response(PersonManagerOut(person).data)


class PeopleView(OrgList):
    """People found and sorted as on the organisation pages (the HR feed writes
    through /people/)."""

    filterset_class = filtersets.PersonFilter

    def get_serializer_class(self):
        from qualify.api.views.people import PersonOut

        return PersonOut

    def get_queryset(self):
        from qualify.api.views.people import _people

        return _people(self.request.user)
