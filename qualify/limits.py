"""Every input is bounded (issue 10, P19): request bodies, query parameters, imported
files and their rows. Uploads have their own bound (qualify.documents.uploads), API
list pages theirs (qualify.api.base.Cursor).

- A request body that is not a file upload (a form, a JSON body) may be at most
  ``QUALIFY_MAX_BODY_MB`` (settings: also Django's DATA_UPLOAD_MAX_MEMORY_SIZE); a
  multipart body at most that plus ``QUALIFY_MAX_UPLOAD_MB``. Larger ones answer 413
  before a byte of them is read.
- A query parameter value may be at most ``QUALIFY_MAX_QUERY_CHARS`` characters, a
  free-text search (``q``, ``search``) at most ``SEARCH_MAX_CHARS``: a longer one
  answers 400 instead of becoming a slow query.
- An imported file (``qualify import people``, ``qualify import legacy``) may be at
  most ``QUALIFY_IMPORT_MAX_MB`` and ``QUALIFY_IMPORT_MAX_ROWS`` rows; the importers
  call ``check_import_size`` and ``check_import_rows``.

Kept outside the layers (like qualify.guards and qualify.edge): everything shares it.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

SEARCH_PARAMETERS = frozenset({"q", "search"})
SEARCH_MAX_CHARS = 200
MB = 1024 * 1024


class InputTooLarge(ValueError):
    """An input over its bound; the message says which bound, for people."""


def body_max_bytes() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def multipart_max_bytes() -> int:
    return body_max_bytes() + int(settings.QUALIFY_MAX_UPLOAD_MB) * MB


def query_max_chars() -> int:
    return int(settings.QUALIFY_MAX_QUERY_CHARS)


def import_max_bytes() -> int:
    return int(settings.QUALIFY_IMPORT_MAX_MB) * MB


def import_max_rows() -> int:
    return int(settings.QUALIFY_IMPORT_MAX_ROWS)


def check_import_size(size: int) -> None:
    """Refuse an import file of `size` bytes over the bound, before reading it."""
    if size > import_max_bytes():
        raise InputTooLarge(
            f"The file is larger than {settings.QUALIFY_IMPORT_MAX_MB} MB; split it into "
            "smaller files and import them one after the other."
        )


def check_import_rows(count: int) -> None:
    """Refuse an import file of `count` data rows over the bound, before checking them."""
    if count > import_max_rows():
        raise InputTooLarge(
            f"The file has more than {import_max_rows():,} rows, the most imported at once; "
            "split it into smaller files and import them one after the other."
        )


def query_problem(request: HttpRequest) -> str | None:
    """What is too long in the query string, in words, or None."""
    limit = query_max_chars()
    for key, values in request.GET.lists():
        if len(key) > limit:
            return f"A query parameter name is longer than {limit} characters."
        bound = SEARCH_MAX_CHARS if key in SEARCH_PARAMETERS else limit
        for value in values:
            if len(value) > bound:
                what = "The search text" if key in SEARCH_PARAMETERS else f"The value of {key!r}"
                return f"{what} is longer than {bound} characters; shorten it."
    return None


def body_problem(request: HttpRequest) -> str | None:
    """What is too large about the request body, in words, or None. Only the declared
    length is read: a WSGI server never hands a view more than Content-Length."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None  # Django reads such a body as empty
    if (request.content_type or "") == "multipart/form-data":
        limit = multipart_max_bytes()
        if length > limit:
            return (
                f"The request is larger than {limit // MB} MB; a file may be at most "
                f"{settings.QUALIFY_MAX_UPLOAD_MB} MB."
            )
        return None
    limit = body_max_bytes()
    if length > limit:
        size = f"{limit // MB} MB" if limit >= MB else f"{limit // 1024} KB"
        return f"The request body is larger than {size}; send less at once."
    return None


def _refuse(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "https://qualify.example/problems/validation",
                "title": "Request too large" if status == 413 else "Invalid request",
                "status": status,
                "detail": detail,
                "instance": request.path,
                "request_id": getattr(request, "request_id", ""),
            },
            status=status,
            content_type="application/problem+json",
        )
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


class BoundedInputMiddleware:
    """Refuses an over-long query parameter (400) or an over-size body (413) before
    any view, form or parser reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = body_problem(request)
        if problem is not None:
            return _refuse(request, 413, problem)
        problem = query_problem(request)
        if problem is not None:
            return _refuse(request, 400, problem)
        return self.get_response(request)
