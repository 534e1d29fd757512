"""SCIM 2.0 endpoints (RFC 7644) for Entra ID, Okta and other provisioning clients:
Users and Groups with filter (`attr eq "value"`, joined by `and`), startIndex/count
pagination, PATCH, PUT, DELETE (which deprovisions), and Bulk. Authenticated by the
client's own bearer token (`qualify scim create-client`), never by a session.

Why not django-scim2's views: they need `scim_id`/`scim_external_id` columns on the
user and group models (accounts.User and auth.Group are not this app's to migrate),
their filter runs hand-built SQL over those tables, and they have no Bulk. The filter
language is parsed with scim2_filter_parser (django-scim2's own parser)."""

import json
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

from qualify.accounts.models import User
from qualify.edge import MAX_ID, whole_number
from qualify.identity.models import ExternalIdentity
from qualify.identity.scim import discovery, services
from qualify.identity.scim.services import ScimError

CONTENT_TYPE = "application/scim+json"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
MAX_COUNT = 200
MAX_BULK = 100

USER_FIELDS = {
    "username": "username__iexact",
    "externalid": None,  # through the link
    "displayname": "printed_name__iexact",
    "active": "is_active",
    "emails.value": "email__iexact",
    "emails": "email__iexact",
}
GROUP_FIELDS = {"displayname": "name", "id": "pk"}


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, content_type=CONTENT_TYPE)


def _error(error: ScimError) -> JsonResponse:
    body = {"schemas": [ERROR], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    return _json(body, error.status)


def _base(request) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _client(request):
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return services.client_for(raw.strip())


def scim_view(handler):
    """Token authentication, JSON body, SCIM errors; no session, no CSRF (a bearer
    token is not sent by a browser on its own)."""

    @csrf_exempt
    def view(request, *args, **kwargs):
        client = _client(request)
        if client is None:
            response = _error(ScimError(401, "A valid SCIM bearer token is required."))
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            return response
        body = None
        if request.method in ("POST", "PUT", "PATCH"):
            try:
                body = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                return _error(ScimError(400, "The body is not JSON.", "invalidSyntax"))
            if not isinstance(body, dict):
                return _error(ScimError(400, "The body must be a JSON object.", "invalidSyntax"))
        try:
            return handler(request, client, body, *args, **kwargs)
        except ScimError as error:
            return _error(error)

    return view


def _filter_q(text: str, fields: dict[str, str | None], *, provider: str = "") -> Q:
    try:
        tree = SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as error:  # the parser raises its own and plain ones
        raise ScimError(400, f"The filter cannot be read: {error}", "invalidFilter") from None
    return _node_q(tree, fields, provider)


def _node_q(node: Any, fields: dict[str, str | None], provider: str) -> Q:
    name = type(node).__name__
    if name == "Filter":
        q = _node_q(node.expr, fields, provider)
        return ~q if node.negated else q
    if name == "LogExpr":
        left = _node_q(node.expr1, fields, provider)
        right = _node_q(node.expr2, fields, provider)
        return left & right if node.op == "and" else left | right
    if name == "AttrExpr" and node.value == "eq":
        attr = node.attr_path.attr_name.lower()
        if node.attr_path.sub_attr is not None:
            attr = f"{attr}.{node.attr_path.sub_attr.value}".lower()
        value = node.comp_value.value if node.comp_value is not None else None
        if attr not in fields:
            raise ScimError(400, f"Filtering on {attr} is not supported.", "invalidFilter")
        if attr == "externalid":
            ids = ExternalIdentity.objects.filter(provider=provider, subject=value)
            return Q(pk__in=ids.values("user_id"))
        return Q(**{fields[attr]: value})
    raise ScimError(400, "Only 'eq' comparisons joined by and/or are supported.", "invalidFilter")


def _page(request, queryset, render) -> JsonResponse:
    try:
        # SQLite refuses an offset past what a database integer holds (OverflowError).
        start = min(MAX_ID, max(1, int(request.GET.get("startIndex", 1))))
        count = min(MAX_COUNT, max(0, int(request.GET.get("count", MAX_COUNT))))
    except ValueError:
        raise ScimError(400, "startIndex and count are whole numbers.", "invalidValue") from None
    total = queryset.count()
    rows = list(queryset[start - 1 : start - 1 + count])
    return _json(
        {
            "schemas": [LIST],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(rows),
            "Resources": [render(row) for row in rows],
        }
    )


def _user(pk: str) -> User:
    number = whole_number(pk)
    user = (
        User.objects.filter(pk=number, is_service_account=False).first()
        if number is not None
        else None
    )
    if user is None:
        raise ScimError(404, f"No user {pk}.")
    return user


def _group(pk: str) -> Group:
    number = whole_number(pk)
    group = Group.objects.filter(pk=number).first() if number is not None else None
    if group is None:
        raise ScimError(404, f"No group {pk}.")
    return group


def _users(request, client, body):
    base = _base(request)
    if request.method == "POST":
        user = services.user_create_from_scim(client=client, data=body)
        return _json(services.user_resource(user, base), 201)
    if request.method != "GET":
        raise ScimError(405, "Use GET or POST.")
    queryset = User.objects.filter(is_service_account=False).order_by("pk")
    if request.GET.get("filter"):
        provider = services.provider_of(client)
        queryset = queryset.filter(_filter_q(request.GET["filter"], USER_FIELDS, provider=provider))
    return _page(request, queryset, lambda u: services.user_resource(u, base))


def _user_one(request, client, body, pk: str):
    user = _user(pk)
    base = _base(request)
    if request.method == "GET":
        return _json(services.user_resource(user, base))
    if request.method == "PUT":
        user = services.user_replace(client=client, user=user, data=body)
    elif request.method == "PATCH":
        user = services.user_patch(client=client, user=user, operations=body.get("Operations"))
    elif request.method == "DELETE":
        services.user_delete(client=client, user=user)
        return HttpResponse(status=204)
    else:
        raise ScimError(405, "Use GET, PUT, PATCH or DELETE.")
    return _json(services.user_resource(user, base))


def _groups(request, client, body):
    base = _base(request)
    if request.method == "POST":
        group = services.group_for_name(client, str(body.get("displayName") or ""))
        if body.get("members"):
            services.group_patch(
                client=client, group=group, operations=[{"op": "add", "value": body["members"]}]
            )
        return _json(services.group_resource(group, base), 201)
    if request.method != "GET":
        raise ScimError(405, "Use GET or POST.")
    from qualify.accounts.roles import ROLES

    queryset = Group.objects.filter(name__in=list(ROLES)).order_by("pk")
    if request.GET.get("filter"):
        queryset = queryset.filter(_filter_q(request.GET["filter"], GROUP_FIELDS))
    return _page(request, queryset, lambda g: services.group_resource(g, base))


def _group_one(request, client, body, pk: str):
    group = _group(pk)
    base = _base(request)
    if request.method == "GET":
        return _json(services.group_resource(group, base))
    if request.method == "PATCH":
        services.group_patch(client=client, group=group, operations=body.get("Operations"))
        if request.headers.get("Prefer") == "return=minimal":
            return HttpResponse(status=204)
        return _json(services.group_resource(group, base))
    if request.method == "DELETE":
        raise ScimError(400, "Roles are not deleted by provisioning.", "mutability")
    raise ScimError(405, "Use GET, PATCH or DELETE.")


def _bulk(request, client, body):
    """RFC 7644 §3.7: each operation runs as its own request would; failOnErrors
    stops after that many errors. bulkId references are not resolved."""
    if request.method != "POST":
        raise ScimError(405, "Use POST.")
    operations = body.get("Operations")
    if not isinstance(operations, list):
        raise ScimError(400, "Operations must be a list.", "invalidSyntax")
    if len(operations) > MAX_BULK:
        raise ScimError(413, f"At most {MAX_BULK} operations per request.", "tooMany")
    fail_on = body.get("failOnErrors")
    errors = 0
    results = []
    base = _base(request)
    for op in operations:
        method = str(op.get("method", "")).upper()
        path = str(op.get("path", ""))
        data = op.get("data") or {}
        outcome: dict[str, Any] = {"method": method, "bulkId": op.get("bulkId")}
        try:
            parts = [p for p in path.split("/") if p]
            if parts == ["Users"] and method == "POST":
                user = services.user_create_from_scim(client=client, data=data)
                outcome.update(status="201", location=f"{base}/Users/{user.pk}")
            elif len(parts) == 2 and parts[0] == "Users":
                user = _user(parts[1])
                if method == "PATCH":
                    services.user_patch(client=client, user=user, operations=data.get("Operations"))
                elif method == "PUT":
                    services.user_replace(client=client, user=user, data=data)
                elif method == "DELETE":
                    services.user_delete(client=client, user=user)
                else:
                    raise ScimError(405, f"{method} is not supported on a user.")
                outcome.update(
                    status="204" if method == "DELETE" else "200",
                    location=f"{base}/Users/{user.pk}",
                )
            elif len(parts) == 2 and parts[0] == "Groups" and method == "PATCH":
                group = _group(parts[1])
                services.group_patch(client=client, group=group, operations=data.get("Operations"))
                outcome.update(status="200", location=f"{base}/Groups/{group.pk}")
            else:
                raise ScimError(
                    400, f"{method} {path} is not supported in a bulk request.", "invalidPath"
                )
        except ScimError as error:
            errors += 1
            outcome.update(
                status=str(error.status),
                response={"schemas": [ERROR], "status": str(error.status), "detail": error.detail},
            )
        results.append(outcome)
        if fail_on and errors >= int(fail_on):
            break
    return _json({"schemas": [BULK_RESPONSE], "Operations": results})


def _discovery_get(request) -> None:
    """Discovery is read-only, and RFC 7644 §4 has filters refused there."""
    if request.method != "GET":
        raise ScimError(405, f"{request.method} is not supported here; use GET.")
    if request.GET.get("filter"):
        raise ScimError(403, "Discovery endpoints are not filtered (RFC 7644 section 4).")


def _listing(items: list[dict[str, Any]]) -> JsonResponse:
    return _json(
        {
            "schemas": [LIST],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": items,
        }
    )


def _service_provider_config(request, client, body):
    _discovery_get(request)
    return _json(
        {
            "schemas": [discovery.SERVICE_PROVIDER_CONFIG],
            "patch": {"supported": True},
            "bulk": {"supported": True, "maxOperations": MAX_BULK, "maxPayloadSize": 1048576},
            "filter": {"supported": True, "maxResults": MAX_COUNT},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "One token per client (qualify scim create-client).",
                    "primary": True,
                }
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{_base(request)}/ServiceProviderConfig",
            },
        }
    )


def _resource_types(request, client, body):
    _discovery_get(request)
    base = _base(request)
    return _listing([discovery.resource_type(t, base) for t in discovery.RESOURCE_TYPES])


def _resource_type(request, client, body, name: str):
    _discovery_get(request)
    found = next((t for t in discovery.RESOURCE_TYPES if t["id"] == name), None)
    if found is None:
        raise ScimError(404, f"No resource type {name!r}: this service has User and Group.")
    return _json(discovery.resource_type(found, _base(request)))


def _schemas(request, client, body):
    _discovery_get(request)
    base = _base(request)
    return _listing([discovery.schema(s, base) for s in discovery.SCHEMAS])


def _schema(request, client, body, urn: str):
    _discovery_get(request)
    found = next((s for s in discovery.SCHEMAS if s["id"] == urn), None)
    if found is None:
        raise ScimError(404, f"No schema {urn!r} here.")
    return _json(discovery.schema(found, _base(request)))


users = scim_view(_users)
user = scim_view(_user_one)
groups = scim_view(_groups)
group = scim_view(_group_one)
bulk = scim_view(_bulk)
service_provider_config = scim_view(_service_provider_config)
resource_types = scim_view(_resource_types)
resource_type = scim_view(_resource_type)
schemas = scim_view(_schemas)
schema = scim_view(_schema)
