"""What every API view shares: authentication, the declared access policy (scopes
and roles, qualify.accounts.policy), rate limits, cursor pagination, filters and the
problem+json error format. A 403 on a write is audited (A5)."""

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from rest_framework import authentication, exceptions, generics, pagination, parsers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from qualify.accounts.policy import READ_METHODS, audit_forbidden_write
from qualify.api.auth import BearerTokenAuthentication, ScopeAndRolePermission, TokenRateThrottle
from qualify.api.errors import problem_exception_handler
from qualify.api.fields import ObjectJSONParser, StrictFilterBackend
from qualify.audit import access


class Cursor(pagination.CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "pk"

    def get_page_size(self, request):
        # A malformed page_size is refused (P16), not silently replaced by the default.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": f"Give a whole number from 1 to {self.max_page_size}."}
            )
        return int(raw)


class ApiView(generics.GenericAPIView):
    authentication_classes = [BearerTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [ScopeAndRolePermission]
    throttle_classes = [TokenRateThrottle]
    pagination_class = Cursor
    filter_backends = [StrictFilterBackend]  # P16: malformed filters are refused
    parser_classes = [ObjectJSONParser, parsers.FormParser, parsers.MultiPartParser]

    def get_exception_handler(self):
        return problem_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The bounded-input middleware reads form bodies before DRF does; DRF then takes a
        # body that none of this view's parsers accepts as empty instead of refusing it.
        has_body = int(request.META.get("CONTENT_LENGTH") or 0) > 0
        if has_body and request.method in ("POST", "PUT", "PATCH"):
            parser = self.get_content_negotiator().select_parser(request, self.get_parsers())
            if parser is None:
                raise exceptions.UnsupportedMediaType(request.content_type)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in READ_METHODS and response.status_code < 400:
            _note_answered(getattr(response, "data", None), request)
        return response

    def handle_exception(self, exc):
        # A5: a write refused for lack of role, scope or permission is on the record,
        # whether the policy or a service refused it.
        if isinstance(exc, exceptions.PermissionDenied | PermissionDenied):
            audit_forbidden_write(self.request, why=str(getattr(exc, "detail", exc)))
        return super().handle_exception(exc)


def _serialized(data, depth: int = 3) -> list:
    """What the serializers behind an answer were given: `serializer.data` keeps its
    serializer, whether the answer is that data or holds it in a dict or list."""
    if depth < 0:
        return []
    if isinstance(data, ReturnDict | ReturnList):
        return [data.serializer.instance]
    values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else []
    return [instance for value in values for instance in _serialized(value, depth - 1)]


def _note_answered(data, request) -> None:
    """P152: every GET of the API names the GxP records it answered with in the access
    log (a record alone is an opening, several are a list), as the pages do; the list
    and retrieve views noted theirs already, and a record is written once a request."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return
    instances = _serialized(data)
    opened = [i for i in instances if isinstance(i, Model)]
    listed = [r for i in instances if not isinstance(i, Model) for r in access.shown_in(i)]
    access.note_all(opened, user=user, path=request.path, view="detail")
    access.note_all(listed, user=user, path=request.path, view="list")


class ListView(ApiView, generics.ListAPIView):
    def get_serializer(self, *args, **kwargs):
        # P141: the GxP records a list answers with go to the access log, as openings do.
        if kwargs.get("many") and args:
            shown = list(args[0])
            access.note_shown(shown, user=self.request.user, path=self.request.path)
            args = (shown, *args[1:])
        return super().get_serializer(*args, **kwargs)


class RetrieveView(ApiView, generics.RetrieveAPIView):
    def get_object(self):
        obj = super().get_object()
        # Who opened which GxP record goes to the access log, not the change trail.
        access.note(obj, user=self.request.user, path=self.request.path)
        return obj
