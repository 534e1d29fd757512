"""Authoring light through the API (issue 15): courses of pages with an assessment,
exported as a cmi5 or SCORM 2004 package and published as a draft version of their
package document. Each operation calls one service of qualify.content.authoring, the
same the pages call; the questions come from the bank version in force
(qualify.assessments.for_export)."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView
from qualify.api.fields import refuse_empty_optionals
from qualify.assessments.for_export import bank_questions
from qualify.content import authoring, queries
from qualify.content.models import Course
from qualify.documents.queries import versions as document_versions


class CoursePageOut(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    image_type = serializers.CharField()
    image_sha256 = serializers.CharField()
    image_alt = serializers.CharField()
    image_source = serializers.IntegerField(
        source="image_source_id", allow_null=True, help_text="Document version the image is from."
    )


class CourseOut(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.number", allow_null=True, default=None)
    package_document = serializers.CharField(
        source="package_document.number", allow_null=True, default=None
    )
    pages = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "id",
            "title",
            "description",
            "bank",
            "pass_mark",
            "package_document",
            "created_at",
            "pages",
        ]

    @extend_schema(responses=CoursePageOut(many=True))
    def get_pages(self, course) -> list:
        return CoursePageOut(authoring.live_pages(course), many=True).data


class CourseIn(serializers.Serializer):
    title = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    bank = serializers.CharField(
        required=False, allow_null=True, help_text="Question bank document number; null: none."
    )
    pass_mark = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    reason = serializers.CharField(required=False, help_text="Required to change a course (A1).")

    def validate(self, attrs):
        return refuse_empty_optionals(self, attrs)


def _bank(user, number):
    if number is None:
        return None
    bank = queries.course_banks(user).filter(number=number).first()
    if bank is None:
        raise ValidationError({"bank": f"No question bank {number!r}."})
    return bank


class CoursesView(ListView):
    """Authored courses (document control)."""

    serializer_class = CourseOut

    def get_queryset(self):
        return queries.courses(self.request.user).order_by("pk")

    @extend_schema(request=CourseIn, responses={201: CourseOut}, summary="Create a course")
    def post(self, request):
        body = CourseIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("reason", None)
        if "bank" in data:
            data["bank"] = _bank(request.user, data["bank"])
        # A missing title is the service's refusal ("A course needs a title."), as on the page.
        course = authoring.course_create(actor=request.user, title=data.pop("title", ""), **data)
        return Response(CourseOut(course).data, status=status.HTTP_201_CREATED)


def _course(request, pk):
    course = queries.courses(request.user).filter(pk=pk).first()
    if course is None:
        raise NotFound("No such course.")
    return course


class CourseView(ApiView):
    serializer_class = CourseOut
    queryset = Course.objects.none()  # the schema's model; reads go through queries

    @extend_schema(responses={200: CourseOut}, summary="A course and its pages")
    def get(self, request, pk: int):
        return Response(CourseOut(_course(request, pk)).data)

    @extend_schema(request=CourseIn, responses={200: CourseOut}, summary="Change a course")
    def patch(self, request, pk: int):
        course = _course(request, pk)
        body = CourseIn(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        reason = data.pop("reason", "")
        if "bank" in data:
            data["bank"] = _bank(request.user, data["bank"])
        course = authoring.course_update(actor=request.user, course=course, reason=reason, **data)
        return Response(CourseOut(course).data)


class PageIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True, default="")
    image = serializers.FileField(required=False, help_text="PNG, JPEG, GIF or WebP (multipart).")
    image_alt = serializers.CharField(required=False, allow_blank=True, default="")
    image_source = serializers.IntegerField(
        required=False, help_text="An approved document version whose file is an image."
    )


class CoursePagesView(ApiView):
    serializer_class = PageIn
    queryset = Course.objects.none()

    @extend_schema(request=PageIn, responses={201: CoursePageOut}, summary="Add a page")
    def post(self, request, pk: int):
        course = _course(request, pk)
        body = PageIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        source = data.pop("image_source", None)
        if source is not None:
            version = document_versions(request.user).filter(pk=source).first()
            if version is None:
                raise ValidationError({"image_source": "No such document version."})
            data["image_source"] = version
        page = authoring.page_add(actor=request.user, course=course, **data)
        return Response(CoursePageOut(page).data, status=status.HTTP_201_CREATED)


STANDARD = OpenApiParameter(
    "standard", OpenApiTypes.STR, enum=list(authoring.STANDARDS), required=True
)


class CourseExportView(ApiView):
    queryset = Course.objects.none()

    @extend_schema(
        parameters=[STANDARD],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        summary="The course as a cmi5 or SCORM 2004 package (changes nothing)",
    )
    def get(self, request, pk: int):
        package, name = authoring.course_export(
            actor=request.user,
            course=_course(request, pk),
            standard=request.query_params.get("standard", ""),
            questions_for=bank_questions,
        )
        response = HttpResponse(package, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class PublishIn(serializers.Serializer):
    standard = serializers.ChoiceField(choices=list(authoring.STANDARDS.items()))
    revision = serializers.CharField()
    change_summary = serializers.CharField(required=False, allow_blank=True, default="")


class PublishOut(serializers.Serializer):
    document = serializers.CharField()
    version = serializers.IntegerField()
    revision = serializers.CharField()
    status = serializers.CharField()
    zip_sha256 = serializers.CharField()


class CoursePublishView(ApiView):
    serializer_class = PublishIn
    queryset = Course.objects.none()

    @extend_schema(
        request=PublishIn,
        responses={201: PublishOut},
        summary="Publish the course as a draft version of its package document",
    )
    def post(self, request, pk: int):
        course = _course(request, pk)
        body = PublishIn(data=request.data)
        body.is_valid(raise_exception=True)
        version = authoring.course_publish(
            actor=request.user, course=course, questions_for=bank_questions, **body.validated_data
        )
        return Response(
            {
                "document": version.document.number,
                "version": version.pk,
                "revision": version.revision,
                "status": version.status,
                "zip_sha256": version.file_sha256,
            },
            status=status.HTTP_201_CREATED,
        )
