"""OpenAPI description of the Bearer token scheme, and the problem+json responses
every operation may give, so an integration can be built from the schema alone."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "items": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["type", "title", "status", "detail"],
}
ERROR_STATUSES = {
    "400": "Invalid request (field errors in `errors`)",
    "401": "Not authenticated",
    "403": "Not permitted (scope or role)",
    "404": "Not found, or not visible to you (U2)",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflict",
    "415": "Unsupported media type",
    "422": "Refused",
    "429": "Rate limit exceeded",
}


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "qualify.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "qualify token create"}


def add_problem_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, text in ERROR_STATUSES.items():
                responses.setdefault(
                    code,
                    {"description": text, "content": {"application/problem+json": {"schema": ref}}},
                )
    return result
