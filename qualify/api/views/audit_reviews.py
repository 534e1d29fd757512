"""Audit-trail reviews on the API (EU GMP Annex 11 §9, P30): the reviews and when each
scope is due, opening the review of a scope (the entries since its last review), the
entries it covers, a finding on an entry, and the signature ("reviewed", S1).

Thin: every read and write is `qualify.reports.review`, the same calls the pages make;
roles are the pages' (AUDIT_REVIEW: QA approvers review and sign, auditors read).
Signing needs the password of the signed-in user (and the one-time code when enrolled),
or a re-authentication ticket (qualify.api.signing); a token's service account never
signs."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView, RetrieveView
from qualify.api.signing import SignatureIn, credentials
from qualify.api.views.audit import AuditEventOut
from qualify.org.models import Site
from qualify.reports import review as service
from qualify.reports.review_models import AuditReview, AuditReviewFinding
from qualify.signatures.services import signatures_of


class FindingOut(serializers.ModelSerializer):
    noted_by = serializers.CharField(source="noted_by.username")

    class Meta:
        model = AuditReviewFinding
        fields = ["id", "seq", "note", "noted_by", "noted_at"]


class ReviewOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code", default=None)
    scope_label = serializers.CharField()
    opened_by = serializers.CharField(source="opened_by.username")
    signed_by = serializers.CharField(source="signed_by.username", default=None)

    class Meta:
        model = AuditReview
        fields = [
            "id",
            "object_type",
            "site",
            "scope_key",
            "scope_label",
            "first_seq",
            "last_seq",
            "period_start",
            "period_end",
            "entries",
            "status",
            "opened_by",
            "opened_at",
            "signed_by",
            "signed_at",
            "conclusion",
        ]


class ReviewDetailOut(ReviewOut):
    findings = FindingOut(many=True)
    signatures = serializers.SerializerMethodField()

    class Meta(ReviewOut.Meta):
        fields = [*ReviewOut.Meta.fields, "findings", "signatures"]

    def get_signatures(self, review) -> list[dict]:
        return [
            {
                "username": s.username,
                "printed_name": s.printed_name,
                "signed_at": s.signed_at,
                "meaning": s.meaning,
                "manifestation": s.manifestation,
            }
            for s in signatures_of(review)
        ]


class OpenIn(serializers.Serializer):
    object_type = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Record type reviewed, e.g. training.trainingrecord; empty: every type.",
    )
    site = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="Site code; empty: every site."
    )

    def validate_site(self, code: str):
        code = (code or "").strip()
        if not code:
            return None
        site = Site.objects.filter(code__iexact=code).first()
        if site is None:
            raise serializers.ValidationError("No site has this code.")
        return site


class FindingIn(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, help_text="The entry (audit event) found.")
    note = serializers.CharField(max_length=2000, help_text="What was found, in words.")


class ReviewSignIn(SignatureIn):
    conclusion = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DueOut(serializers.Serializer):
    scope_key = serializers.CharField(source="key")
    label = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()


class ReviewsView(ListView):
    """GET: the reviews, newest first. POST: open the review of a scope."""

    serializer_class = ReviewOut

    class pagination_class(ListView.pagination_class):
        ordering = "-pk"

    def get_queryset(self):
        return service.reviews()

    @extend_schema(summary="Audit-trail reviews, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=OpenIn,
        responses={201: ReviewOut, 200: ReviewOut},
        summary="Open the review of a scope: its entries since its last signed review "
        "(200 with the open review when there is one)",
    )
    def post(self, request):
        body = OpenIn(data=request.data)
        body.is_valid(raise_exception=True)
        started = timezone.now()
        review = service.review_open(
            actor=request.user,
            object_type=body.validated_data.get("object_type", ""),
            site=body.validated_data.get("site"),
        )
        created = review.opened_at >= started
        return Response(
            ReviewOut(review).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DueView(ApiView):
    queryset = AuditReview.objects.none()  # the schema's model; reads go through the service
    filter_backends = []
    pagination_class = None

    @extend_schema(
        responses={200: inline_serializer("AuditReviewsDue", {"results": DueOut(many=True)})},
        summary="Each scope and when it is due",
    )
    def get(self, request):
        now = timezone.now()
        rows = [
            {"key": d.key, "label": d.label, "due_at": d.due_at, "overdue": d.overdue(now)}
            for d in service.due_reviews()
        ]
        return Response({"results": DueOut(rows, many=True).data})


class ReviewView(RetrieveView):
    serializer_class = ReviewDetailOut

    def get_queryset(self):
        return service.reviews().prefetch_related("findings__noted_by")

    @extend_schema(summary="One review with its findings and signature")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EntryOut(AuditEventOut):
    finding = serializers.SerializerMethodField()

    class Meta(AuditEventOut.Meta):
        fields = [*AuditEventOut.Meta.fields, "finding"]

    def get_finding(self, event) -> dict | None:
        finding = self.context["findings"].get(event.seq)
        return FindingOut(finding).data if finding is not None else None


class EntriesView(ListView):
    """Exactly the entries the review covers (service.covered_events), in order."""

    serializer_class = EntryOut

    class pagination_class(ListView.pagination_class):
        ordering = "seq"

    def _review(self) -> AuditReview:
        if not hasattr(self, "_found"):
            self._found = get_object_or_404(service.reviews(), pk=self.kwargs["pk"])
        return self._found

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return service.scope_events("", None).none()
        return service.covered_events(self._review())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            review = self._review()
            context["findings"] = {f.seq: f for f in review.findings.select_related("noted_by")}
        return context

    @extend_schema(summary="The entries a review covers, each with its finding")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class FindingsView(ApiView):
    serializer_class = FindingIn

    @extend_schema(request=FindingIn, responses={201: FindingOut}, summary="Note a finding")
    def post(self, request, pk: int):
        review = get_object_or_404(service.reviews(), pk=pk)
        body = FindingIn(data=request.data)
        body.is_valid(raise_exception=True)
        finding = service.review_note(actor=request.user, review=review, **body.validated_data)
        return Response(FindingOut(finding).data, status=status.HTTP_201_CREATED)


class SignView(ApiView):
    serializer_class = ReviewSignIn
    signs = "reviewed"

    def signed_object(self, request, pk: int):
        return get_object_or_404(service.reviews(), pk=pk)

    @extend_schema(
        request=ReviewSignIn,
        responses={200: ReviewDetailOut},
        summary='Sign the review ("reviewed"): your password is your signature',
    )
    def post(self, request, pk: int):
        review = get_object_or_404(service.reviews(), pk=pk)
        body = ReviewSignIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        review = service.review_sign(
            actor=request.user,
            review=review,
            credentials=credentials(request, data, review),
            conclusion=data.get("conclusion", ""),
        )
        return Response(ReviewDetailOut(review).data)
