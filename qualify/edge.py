"""What every request meets first and every response leaves with (P16, P23).

- NUL characters (\\x00) are refused with 400 wherever a client can put them: the
  path, the query string, a posted form and a JSON body. Text columns cannot hold
  them on PostgreSQL, which answers a query containing one with a server error; no
  field of Qualify has a use for them.
- Responses to signed-in people and every API response are sent with
  `Cache-Control: no-store` (and `private`), so a shared computer's browser cache or
  a proxy keeps no copy of a training record or a person's history.

Kept outside the layers (like qualify.guards): the pages and the API share it.
"""

import datetime as dt
import json
from typing import Any

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.dateparse import parse_datetime

from qualify.choices import ModelMultipleChoiceField

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def contains_nul(value: Any) -> bool:
    """True if a NUL character occurs in any string (key or value) of parsed data."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def _nul_in_querydict(data) -> str | None:
    for key, values in data.lists():
        if NUL in key or any(NUL in v for v in values if isinstance(v, str)):
            return key.replace(NUL, "\\x00")
    return None


def _refuse(request: HttpRequest, where: str) -> HttpResponse:
    detail = f"The {where} contains a NUL character (\\x00), which no field accepts; remove it."
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "https://qualify.example/problems/validation",
                "title": "Invalid request",
                "status": 400,
                "detail": detail,
                "instance": request.path.replace(NUL, "\\x00"),
                "request_id": getattr(request, "request_id", ""),
            },
            status=400,
            content_type="application/problem+json",
        )
    return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")


def find_nul(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character, in words, or None."""
    if NUL in request.path:
        return "address"
    key = _nul_in_querydict(request.GET)
    if key is not None:
        return f"query parameter {key!r}"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        key = _nul_in_querydict(request.POST)
        if key is not None:
            return f"form field {key!r}"
    elif content_type.endswith("json"):
        try:
            body = request.body
        except RequestDataTooBig:
            return None  # not read here: the view reads it as before, in a stream
        # A NUL reaches parsed JSON only as a raw byte or as the \u0000 escape.
        if b"\x00" in body or b"u0000" in body.lower():
            try:
                data = json.loads(body)
            except ValueError:
                return "request body"
            if contains_nul(data):
                return "request body"
    return None


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = find_nul(request)
        if where is not None:
            return _refuse(request, where)
        return self.get_response(request)


class ApiProblemsMiddleware:
    """An /api/ address the URL patterns do not match (a letter where a number
    belongs) answers like every other API error: problem+json, not an HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_html = response.get("Content-Type", "").startswith("text/html")
        if request.path.startswith("/api/") and response.status_code >= 400 and is_html:
            titles = {404: "Not found", 405: "Method not allowed", 500: "Server error"}
            details = {
                404: "There is nothing at this address; check the path and its ids.",
                500: "The server failed to answer; the request id helps support find out why.",
            }
            status = response.status_code
            replaced = JsonResponse(
                {
                    "type": f"https://qualify.example/problems/{status}",
                    "title": titles.get(status, "Error"),
                    "status": status,
                    "detail": details.get(status, ""),
                    "instance": request.path,
                    "request_id": getattr(request, "request_id", ""),
                },
                status=status,
                content_type="application/problem+json",
            )
            for header in ("Allow", "Retry-After"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on the API and on every page a signed-in person sees."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith("/api/"):
            # no-cache, no-store, must-revalidate, private, max-age=0
            add_never_cache_headers(response)
        return response


# --- values: one parse for times, shared by the API, the CSV import and the CLI ----

NAIVE_MESSAGE = (
    "A time zone is required (T1): give the time with its UTC offset, "
    "e.g. 2026-03-01T08:00:00+01:00 or 2026-03-01T07:00:00Z."
)


def parse_aware(text: str) -> dt.datetime:
    """ISO 8601 date and time with its zone, returned in UTC. Raises ValueError with a
    message for people: a time without a zone is refused, never read as UTC (T1)."""
    text = (text or "").strip()
    if not text:
        raise ValueError("A date and time is required.")
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        raise ValueError(
            f"{text[:40]!r} is not a date and time; use ISO 8601 such as 2026-03-01T08:00:00+01:00."
        )
    if timezone.is_naive(value):
        raise ValueError(NAIVE_MESSAGE)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"{text[:40]!r} is out of range.") from None


# --- form fields ---------------------------------------------------------------------

# The largest id a database column holds; SQLite answers a larger number with a server
# error (OverflowError) rather than "no such row".
MAX_ID = 2**63 - 1


def whole_number(value: Any) -> int | None:
    """`value` as a whole number when it is written as one: ASCII digits, at most MAX_ID;
    None for anything else. str.isdigit() alone also takes "²" and other digits int()
    refuses with a ValueError (a server error where input was only wrong)."""
    text = "" if value is None else str(value).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


class ModelMultipleIdsField(ModelMultipleChoiceField):
    """Django's ModelMultipleChoiceField, but an id no database can hold (a 20-digit
    number) is an invalid choice like any other unknown id, not a server error; its
    options, when shown, read at once (qualify.choices)."""

    def _check_values(self, value):
        for item in value:
            text = str(item).strip()
            digits = text.lstrip("-")
            if digits.isdigit() and whole_number(digits) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": text[:30]},
                )
        return super()._check_values(value)
