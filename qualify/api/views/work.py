"""GET /api/v1/me/work: what waits for the caller, the inbox of the pages in JSON
(qualify.quality.queries.work), soonest due first. Times in UTC ISO 8601 (T3)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from qualify.api.base import ApiView
from qualify.quality.queries import work


class WorkItemOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(work.KIND_LABELS))
    kind_label = serializers.CharField()
    key = serializers.CharField(help_text="Stable identifier of the item.")
    title = serializers.CharField()
    detail = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    url = serializers.CharField(help_text="The page where the work is done.")
    next_actor = serializers.CharField(help_text="Who acts once this is done.")


class WorkOut(serializers.Serializer):
    count = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    items = WorkItemOut(many=True)


class MyWorkView(ApiView):
    serializer_class = WorkOut

    @extend_schema(responses={200: WorkOut}, summary="What waits for me, soonest due first")
    def get(self, request):
        items = work.my_work(request.user)
        return Response(
            WorkOut({"count": len(items), "counts": work.counts(items), "items": items}).data
        )
