"""One error format for the whole API: RFC 9457 problem details, with field errors.

{"type": "...#validation", "title": "Invalid request", "status": 400,
 "detail": "...", "instance": "/api/v1/people", "request_id": "...",
 "errors": {"employee_number": ["..."], "pairs.3.person": ["..."]}}
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from qualify.guards import AlreadyDone
from qualify.quality.services import GateRefused

PROBLEM_BASE = "https://qualify.example/problems/"
CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Not permitted",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Refused",
    429: "Too many requests",
}


class Conflict(exceptions.APIException):
    """409; `existing` (a serialized object) is sent along as "existing", so a client
    that lost a creation race learns what is there."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, *, existing: Any = None) -> None:
        super().__init__(detail, code)
        self.existing = existing


def flatten(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"a.0.b": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out.update(flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
    elif isinstance(data, list):
        if all(not isinstance(v, dict | list) for v in data):
            out.setdefault(prefix or "_", []).extend(str(v) for v in data)
        else:
            for index, value in enumerate(data):
                if value:
                    out.update(flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out.setdefault(prefix or "_", []).append(str(data))
    return out


def problem(status_code: int, detail: str, *, request=None, kind: str = "", **extra) -> Response:
    body = {
        "type": PROBLEM_BASE + (kind or str(status_code)),
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "instance": request.path if request is not None else "",
        "request_id": getattr(getattr(request, "_request", request), "request_id", ""),
        **extra,
    }
    return Response(body, status=status_code, content_type=CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    request = context.get("request")
    if isinstance(exc, AlreadyDone):
        # P21: a second submission of a done action: 409 naming what the first wrote.
        existing = exc.existing
        found = (
            {"type": existing._meta.label_lower, "id": existing.pk}
            if existing is not None
            else None
        )
        return problem(409, exc.messages[0], request=request, kind="already-done", existing=found)
    if isinstance(exc, GateRefused):
        return problem(422, exc.messages[0], request=request, kind="gate-refused", items=exc.items)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(response.data)
        first = next(iter(errors.values()))[0] if errors else "Invalid request."
        result = problem(400, first, request=request, kind="validation", errors=errors)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        extra = {}
        if isinstance(exc, Conflict) and exc.existing is not None:
            extra["existing"] = exc.existing
        result = problem(response.status_code, str(detail), request=request, **extra)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result
