"""Documents: read documents, versions and the effective version at an instant;
an external document system pushes a draft revision with its file, on behalf of the
person who authored it (`author`). Submitting, reviewing and approving need
signatures and stay in the pages (S1)."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView, RetrieveView
from qualify.api.fields import AwareDateTimeField, ObjectJSONParser
from qualify.api.idempotency import idempotent
from qualify.api.views.signatures import SignatureOut, signatures_by_object
from qualify.documents import reviews, services
from qualify.documents.models import Document, DocumentType, DocumentVersion
from qualify.documents.queries import documents, effective_version, possible_owners, versions
from qualify.org import queries as org_queries


class DocumentOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code", allow_null=True, default=None)
    client = serializers.CharField(source="client.code", allow_null=True, default=None)
    owner = serializers.CharField(source="owner.username")
    frameworks = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    review = serializers.SerializerMethodField(help_text="Periodic review state and due date now.")

    class Meta:
        model = Document
        fields = [
            "id",
            "number",
            "title",
            "doc_type",
            "site",
            "client",
            "owner",
            "created_at",
            "obsolete_from",
            "obsolete_reason",
            "frameworks",
            "review_interval_months",
            "review",
        ]

    def get_review(self, obj) -> dict:
        status = reviews.review_status(obj, at=timezone.now())
        return {
            "state": status.state,
            "due_at": status.due_at.isoformat() if status.due_at else None,
            "open_revision": status.open_revision.revision if status.open_revision else None,
        }


class DocumentIn(serializers.Serializer):
    """A new document and its first version (a draft, then signed in the pages)."""

    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Empty or absent: the next number of the type's scheme.",
    )
    title = serializers.CharField(max_length=300)
    owner = serializers.CharField(max_length=150, help_text="Owner's user id.")
    site = serializers.CharField(required=False, max_length=20)
    client = serializers.CharField(required=False, max_length=20)
    frameworks = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=50
    )
    review_interval_months = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=120
    )
    revision = serializers.CharField(max_length=20, default="1")
    change_summary = serializers.CharField(required=False, allow_blank=True, default="")
    content_text = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_null=True)

    def validate_owner(self, value: str):
        user = possible_owners().filter(username__iexact=value).first()
        if user is None:
            raise serializers.ValidationError(
                "No active document controller or QA approver has this user id."
            )
        return user

    def validate(self, data):
        user = self.context["user"]
        if "site" in data:
            data["site"] = org_queries.sites(user).filter(code__iexact=data["site"]).first()
            if data["site"] is None:
                raise serializers.ValidationError({"site": "No such site."})
        if "client" in data:
            data["client"] = org_queries.clients(user).filter(code__iexact=data["client"]).first()
            if data["client"] is None:
                raise serializers.ValidationError({"client": "No such client."})
        if "frameworks" in data:
            codes = {c.lower() for c in data["frameworks"]}
            found = [f for f in org_queries.frameworks(user) if f.code.lower() in codes]
            if len(found) != len(codes):
                raise serializers.ValidationError({"frameworks": "Unknown framework code."})
            data["frameworks"] = found
        return data


class VersionOut(serializers.ModelSerializer):
    document = serializers.CharField(source="document.number")
    author = serializers.CharField(source="author.username")
    baseline = serializers.IntegerField(source="baseline_id", allow_null=True)
    state = serializers.SerializerMethodField(help_text="Lifecycle label now (Q1).")
    signatures = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "document",
            "revision",
            "sequence",
            "status",
            "state",
            "file_sha256",
            "content_text",
            "change_summary",
            "retraining_required",
            "editorial_justification",
            "author",
            "created_at",
            "submitted_at",
            "approved_at",
            "effective_from",
            "effective_to",
            "baseline",
            "signatures",
        ]

    def get_state(self, obj) -> str:
        return obj.state_at(timezone.now())

    def get_signatures(self, obj) -> list[dict]:
        found = self.context.get("signatures")
        rows = found.get(str(obj.pk), []) if found is not None else None
        if rows is None:
            rows = signatures_by_object(DocumentVersion, [obj.pk]).get(str(obj.pk), [])
        return SignatureOut(rows, many=True).data


class DraftIn(serializers.Serializer):
    revision = serializers.CharField(max_length=20)
    change_summary = serializers.CharField()
    retraining_required = serializers.BooleanField(default=True)
    editorial_justification = serializers.CharField(required=False, allow_blank=True, default="")
    content_text = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_null=True)
    author = serializers.CharField(
        required=False,
        max_length=150,
        help_text=(
            "Username of the person who wrote the revision (an active document "
            "controller). An integration's token drafts on their behalf so that they "
            "can sign it 'authored' and submit it in the pages; default: the caller."
        ),
    )

    def validate_author(self, value: str):
        user = get_user_model().objects.filter(username=value).first()
        if user is None:
            raise serializers.ValidationError(f"No user {value!r}.")
        return user


class EffectiveQuery(serializers.Serializer):
    at = AwareDateTimeField(required=False)
    as_known_at = AwareDateTimeField(required=False)


def _document(user, number) -> Document:
    document = documents(user).filter(number=number).first()
    if document is None:
        raise NotFound(f"No document {number!r}.")
    return document


class DocumentsView(ListView):
    serializer_class = DocumentOut
    filterset_fields = ["number", "doc_type"]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, ObjectJSONParser]

    def get_queryset(self):
        return documents(self.request.user).prefetch_related("frameworks")

    @extend_schema(
        request={"multipart/form-data": DocumentIn, "application/json": DocumentIn},
        responses={201: DocumentOut},
        summary="Create a document with its first version as a draft "
        "(documents.services.document_introduce)",
    )
    @idempotent
    def post(self, request):
        body = DocumentIn(data=request.data, context={"user": request.user})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        draft = {k: data.pop(k) for k in ("revision", "change_summary", "content_text")}
        document, _ = services.document_introduce(
            actor=request.user, file=data.pop("file", None), **draft, **data
        )
        return Response(DocumentOut(document).data, status=status.HTTP_201_CREATED)


class DocumentView(RetrieveView):
    serializer_class = DocumentOut
    lookup_field = "number"

    def get_queryset(self):
        return documents(self.request.user)


class VersionsView(ListView):
    serializer_class = VersionOut
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, ObjectJSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DocumentVersion.objects.none()
        document = _document(self.request.user, self.kwargs["number"])
        return versions(self.request.user).filter(document=document).select_related("baseline")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        page = getattr(self, "_page", None)
        if page is not None:
            context["signatures"] = signatures_by_object(DocumentVersion, [v.pk for v in page])
        return context

    def paginate_queryset(self, queryset):
        self._page = super().paginate_queryset(queryset)
        return self._page

    @extend_schema(
        request={"multipart/form-data": DraftIn, "application/json": DraftIn},
        responses={201: VersionOut},
        summary="Create a draft revision with its file (documents.services.version_draft)",
    )
    @idempotent
    def post(self, request, number):
        document = _document(request.user, number)
        body = DraftIn(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.version_draft(
            actor=request.user, document=document, **body.validated_data
        )
        return Response(VersionOut(version).data, status=status.HTTP_201_CREATED)


class EffectiveVersionView(ApiView):
    serializer_class = VersionOut

    @extend_schema(
        parameters=[EffectiveQuery],
        responses={200: VersionOut},
        summary="The version effective at an instant (Q1), as known at another (Q7)",
    )
    def get(self, request, number):
        document = _document(request.user, number)
        query = EffectiveQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        version = effective_version(
            document, at=at, as_known_at=query.validated_data.get("as_known_at")
        )
        if version is None:
            raise NotFound(f"No version of {number} is effective at {at.isoformat()}.")
        return Response(VersionOut(version).data)
