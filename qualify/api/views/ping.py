"""A no-op endpoint: checks a token works (and is the bench's baseline)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from qualify.api.base import ApiView


class PingOut(serializers.Serializer):
    ok = serializers.BooleanField()
    username = serializers.CharField()


class PingView(ApiView):
    serializer_class = PingOut

    @extend_schema(responses={200: PingOut}, summary="Check the credentials (does nothing)")
    def get(self, request):
        return Response({"ok": True, "username": request.user.get_username()})
