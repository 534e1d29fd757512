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

P21: the same path turns a unique constraint's refusal (two people creating the same
person or matrix entry at the same instant: the second insert loses) into a 409
saying so, rather than a 500.
"""

import json
import logging
import sys

from django.core.signals import got_request_exception
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse

logger = logging.getLogger("qualify.outage")

RETRY_AFTER_SECONDS = 5
MARK = "_qualify_database_unavailable"
CONFLICT_MARK = "_qualify_database_conflict"
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
    if request is None:
        return
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        setattr(request, MARK, True)
    elif isinstance(exc, IntegrityError):
        setattr(request, CONFLICT_MARK, True)


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


CONFLICT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Changed at the same time</title></head>
<body><h1>Someone else made the same change at the same moment</h1>
<p>Their change was saved and yours was not, so nothing is recorded twice.
Go back, reload the page to see the current state, and try again if still needed.</p>
</body></html>
"""


def conflict(request) -> HttpResponse:
    detail = (
        "The same record was created or changed by another request at the same moment; "
        "that one was saved and this one was not. Reload and retry if still needed."
    )
    if request.path.startswith("/api/"):
        body = {
            "type": "https://qualify.example/problems/conflict",
            "title": "Conflict",
            "status": 409,
            "detail": detail,
            "instance": request.path,
        }
        return HttpResponse(json.dumps(body), status=409, content_type="application/problem+json")
    return HttpResponse(CONFLICT_PAGE, status=409, content_type="text/html; charset=utf-8")


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE: sees the final response of every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, MARK, False):
            return unavailable(request)
        if response.status_code == 500 and getattr(request, CONFLICT_MARK, False):
            return conflict(request)
        return response

    def process_exception(self, request, exception):
        # Answered here, so Django does not log it: say it for the operators.
        if is_database_unavailable(exception):
            logger.warning("Database unavailable: %s", request.path, exc_info=True)
            setattr(request, MARK, True)
            return unavailable(request)
        if isinstance(exception, IntegrityError):
            logger.warning("Concurrent conflict: %s", request.path, exc_info=True)
            return conflict(request)
        return None
