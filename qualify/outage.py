"""P22: while the database is away, answer a short 503, never a 500 with a traceback.

A database error can surface anywhere in a request: in a view, in the session
middleware saving the session, in the authentication middleware loading the user.
Django turns each into a 500 at the layer where it happened, before any outer
middleware could catch it. So the error is noticed where Django reports it (the
`got_request_exception` signal, sent for every uncaught exception with the request),
marked on the request, and the outermost middleware replaces that request's 500 by a
503 with Retry-After: an HTML page for people, problem+json for the API.

Nothing is half-written: every service runs in one transaction, which the database
rolls back when the connection dies. Django drops a broken connection at the end of
the request, and CONN_HEALTH_CHECKS (settings) checks a kept one before reuse, so
service resumes by itself when the database returns. This module touches no
database, no template and no session.
"""

import json
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse

RETRY_AFTER_SECONDS = 5
MARK = "_qualify_database_unavailable"
PROBLEM_TYPE = "https://qualify.example/problems/database-unavailable"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Qualify is briefly unavailable</title></head>
<body><h1>Qualify is briefly unavailable</h1>
<p>The database cannot be reached just now, so nothing was saved by this request.
Please try again in a few seconds; nothing you saved before is lost.</p></body></html>
"""


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def _mark(sender, request=None, **kwargs) -> None:
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, MARK, True)


got_request_exception.connect(_mark, dispatch_uid="qualify.outage.mark")


def unavailable(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        body = {
            "type": PROBLEM_TYPE,
            "title": "Service unavailable",
            "status": 503,
            "detail": "The database is unavailable; nothing was written. Retry shortly.",
            "instance": request.path,
        }
        response = HttpResponse(
            json.dumps(body), status=503, content_type="application/problem+json"
        )
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE: sees the final response of every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, MARK, False):
            return unavailable(request)
        return response

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            setattr(request, MARK, True)
            return unavailable(request)
        return None
