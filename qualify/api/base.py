"""What every API view shares: authentication, scope and role checks, rate limits,
cursor pagination, filters and the problem+json error format."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import authentication, generics, pagination

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
    # Per method: the token scope needed, and permissions any one of which the user
    # (person or service account) must hold.
    scopes: dict[str, str] = {"GET": "read"}
    perms: dict[str, list[str]] = {}

    def get_exception_handler(self):
        return problem_exception_handler


class ListView(ApiView, generics.ListAPIView):
    pass


class RetrieveView(ApiView, generics.RetrieveAPIView):
    pass
