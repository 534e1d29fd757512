"""The access rights history of an account (P26, U3): which roles and client access
it held over a period, granted and removed by whom, when and why, read through
qualify.accounts.queries.access_history."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.accounts.models import User
from qualify.accounts.queries import access_history, find_user
from qualify.api.base import ApiView
from qualify.api.fields import AwareDateTimeField  # one rule for times (T1)


class PeriodQuery(serializers.Serializer):
    start = AwareDateTimeField(
        required=False, help_text="Start of the period (inclusive); default: account creation."
    )
    end = AwareDateTimeField(
        required=False, help_text="End of the period (exclusive); default now."
    )

    def validate(self, data):
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": "The end must be after the start."})
        return data


class UserPeriodQuery(PeriodQuery):
    user = serializers.CharField(max_length=150, help_text="User id (or account number).")


class HoldingOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["role", "client"])
    name = serializers.CharField(help_text="Role name or client code.")
    label = serializers.CharField()
    since = serializers.DateTimeField()
    granted_by = serializers.CharField()
    grant_reason = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True, help_text="Null: still held.")
    removed_by = serializers.CharField()
    removal_reason = serializers.CharField()


class ChangeOut(serializers.Serializer):
    seq = serializers.IntegerField(help_text="Audit event sequence number.")
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["role", "client"])
    action = serializers.CharField()
    actor = serializers.CharField()
    old = serializers.ListField(child=serializers.CharField())
    new = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()


class RefusalOut(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    why = serializers.CharField()


class ExceptionOut(serializers.Serializer):
    id = serializers.IntegerField()
    roles = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    granted_at = serializers.DateTimeField()
    requested_by = serializers.CharField(source="requested_by.username")
    approved_by = serializers.CharField(source="approved_by.username")
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()


class AccessHistoryOut(serializers.Serializer):
    user = serializers.CharField(source="user.username")
    printed_name = serializers.CharField(source="user.printed_name")
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    holdings = HoldingOut(many=True)
    changes = ChangeOut(many=True)
    refusals = RefusalOut(many=True)
    exceptions = ExceptionOut(many=True, help_text="Administrator role exceptions signed by QA.")


class _HistoryView(ApiView):
    pagination_class = None

    def _answer(self, user: User, query: PeriodQuery) -> Response:
        data = query.validated_data
        history = access_history(user, start=data.get("start"), end=data.get("end"))
        return Response(AccessHistoryOut(history).data)


class UserAccessHistoryView(_HistoryView):
    @extend_schema(
        parameters=[PeriodQuery],
        responses=AccessHistoryOut,
        summary="The access rights history of one account",
    )
    def get(self, request, pk: int):
        user = User.objects.filter(pk=pk).first()
        if user is None:
            raise NotFound("No such account.")
        query = PeriodQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self._answer(user, query)


class AccessHistoryView(_HistoryView):
    @extend_schema(
        parameters=[
            UserPeriodQuery,
            OpenApiParameter("user", str, required=True, description="User id."),
        ],
        responses=AccessHistoryOut,
        summary="The access rights history of an account, by user id",
    )
    def get(self, request):
        query = UserPeriodQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = find_user(query.validated_data["user"])
        if user is None:
            raise NotFound("No account has this user id.")
        return self._answer(user, query)
