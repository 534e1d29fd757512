"""What every API view shares: authentication, the declared access policy (scopes
and roles, qualify.accounts.policy), rate limits, cursor pagination, filters and the
problem+json error format. A 403 on a write is audited (A5)."""

from django.core.exceptions import PermissionDenied
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import authentication, exceptions, generics, pagination

from qualify.accounts.policy import audit_forbidden_write
from qualify.api.auth import BearerTokenAuthentication, ScopeAndRolePermission, TokenRateThrottle
from qualify.api.errors import problem_exception_handler


class Cursor(pagination.CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "pk"


class ApiView(generics.GenericAPIView):
    authentication_classes = [BearerTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [ScopeAndRolePermission]
    throttle_classes = [TokenRateThrottle]
    pagination_class = Cursor
    filter_backends = [DjangoFilterBackend]

    def get_exception_handler(self):
        return problem_exception_handler

    def handle_exception(self, exc):
        # A5: a write refused for lack of role, scope or permission is on the record,
        # whether the policy or a service refused it.
        if isinstance(exc, exceptions.PermissionDenied | PermissionDenied):
            audit_forbidden_write(self.request, why=str(getattr(exc, "detail", exc)))
        return super().handle_exception(exc)


class ListView(ApiView, generics.ListAPIView):
    pass


class RetrieveView(ApiView, generics.RetrieveAPIView):
    pass
