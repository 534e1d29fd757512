"""The xAPI 1.0.3 endpoint cmi5 content talks to (issue 15, point 3).

Why our own: the LRSs that exist are separate servers, not a library that runs inside
this Django process and ties statements to our attempts and assignments: ADL's LRS is
a Django project of its own (its own users, OAuth, settings), Ralph a FastAPI service,
Learning Locker, SQL LRS and TRAX are Node, Clojure and PHP servers; TinCanPython and
django-xapi-client are clients that send to an LRS. What cmi5 needs is small: the
statements resource (PUT, POST, GET one or a filtered list, voiding), the state,
activity profile and agent profile documents. That is what is here; attachments,
signed statements, the "more" paging URL and agent/activity lookup are not.

Every answer carries ``X-Experience-API-Version: 1.0.3``; statement reads also
``X-Experience-API-Consistent-Through``. A request without a 1.0.x version header is
400. Authentication is the cmi5 auth token ("Authorization: Basic <token>") of a
live session, never the browser session: without one, 401.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from qualify.content import cmi5
from qualify.content.cmi5 import XapiError
from qualify.content.models import DocumentKind

VERSION = "1.0.3"


def _answer(response: HttpResponse) -> HttpResponse:
    response["X-Experience-API-Version"] = VERSION
    return response


def _error(status: int, message: str) -> HttpResponse:
    return _answer(JsonResponse({"error": message}, status=status))


def _session(request):
    version = request.headers.get("X-Experience-API-Version", "")
    if not version.startswith("1.0"):
        raise XapiError(400, "X-Experience-API-Version 1.0.x is required.")
    session = cmi5.session_for(request.headers.get("Authorization", ""))
    if session is None:
        raise XapiError(401, "A cmi5 auth token is required.")
    return session


def _json_body(request):
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise XapiError(400, "The body is not JSON.") from None


def _guarded(view):
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except XapiError as error:
            response = _error(error.status, str(error))
            if error.status == 401:
                response["WWW-Authenticate"] = 'Basic realm="xAPI"'
            return response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(wrapper)


def about(request):
    """GET /about (public, xAPI 1.0.3 part 3, 2.8)."""
    return _answer(JsonResponse({"version": [VERSION]}))


@_guarded
def statements(request):
    session = _session(request)
    if request.method == "PUT":
        statement_id = request.GET.get("statementId")
        if not statement_id:
            raise XapiError(400, "PUT needs the statementId parameter.")
        body = _json_body(request)
        if not isinstance(body, dict):
            raise XapiError(400, "PUT takes one statement.")
        cmi5.statements_store(session=session, statements=[body], statement_id=statement_id)
        return _answer(HttpResponse(status=204))
    if request.method == "POST":
        body = _json_body(request)
        batch = body if isinstance(body, list) else [body]
        ids = cmi5.statements_store(session=session, statements=batch)
        return _answer(JsonResponse(ids, safe=False))
    if request.method in ("GET", "HEAD"):
        now = timezone.now()
        found, more = cmi5.statements_query(session=session, params=request.GET.dict())
        single = "statementId" in request.GET or "voidedStatementId" in request.GET
        response = JsonResponse(found[0] if single else {"statements": found, "more": more})
        response["X-Experience-API-Consistent-Through"] = now.isoformat()
        return _answer(response)
    raise XapiError(405, f"{request.method} is not allowed on statements.")


def _document_view(kind: str, request, session, *, scope: dict, id_param: str):
    document_id = request.GET.get(id_param)
    rows = cmi5._documents(kind, **scope)
    if request.method in ("GET", "HEAD"):
        if document_id is None:
            ids = list(rows.values_list("document_id", flat=True))
            return _answer(JsonResponse(ids, safe=False))
        row = rows.filter(document_id=document_id).first()
        if row is None:
            raise XapiError(404, "No such document.")
        response = HttpResponse(bytes(row.content), content_type=row.content_type)
        response["ETag"] = f'"{row.etag}"'
        response["Last-Modified"] = row.updated.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return _answer(response)
    if request.method in ("PUT", "POST"):
        if document_id is None:
            raise XapiError(400, f"{request.method} needs {id_param}.")
        row = rows.filter(document_id=document_id).first()
        _check_etag(request, row)
        cmi5._put_document(
            kind,
            **scope,
            document_id=document_id,
            content=request.body,
            content_type=request.content_type or "application/octet-stream",
            attempt=session.attempt,
            merge=request.method == "POST",
        )
        return _answer(HttpResponse(status=204))
    if request.method == "DELETE":
        if kind != DocumentKind.STATE:
            raise XapiError(405, "Profiles are replaced, not deleted, here.")
        chosen = rows if document_id is None else rows.filter(document_id=document_id)
        chosen.delete()
        return _answer(HttpResponse(status=204))
    raise XapiError(405, f"{request.method} is not allowed here.")


def _check_etag(request, row) -> None:
    if_match = request.headers.get("If-Match")
    if_none = request.headers.get("If-None-Match")
    current = f'"{row.etag}"' if row is not None else None
    if if_match and (current is None or (if_match != "*" and if_match != current)):
        raise XapiError(412, "The document changed (If-Match).")
    if if_none == "*" and current is not None:
        raise XapiError(412, "The document exists (If-None-Match).")


def _own_agent(request, session) -> str:
    try:
        key = cmi5.agent_key(json.loads(request.GET.get("agent") or "null"))
    except ValueError:
        raise XapiError(400, "agent must be JSON.") from None
    if key != cmi5.agent_key(cmi5.agent_of(session.attempt.person)):
        raise XapiError(403, "Only the learner's own documents are reachable with this token.")
    return key


@_guarded
def state(request):
    session = _session(request)
    activity = request.GET.get("activityId")
    if not activity:
        raise XapiError(400, "activityId is required.")
    agent = _own_agent(request, session)
    registration = request.GET.get("registration", "")
    if registration and registration != str(session.attempt.registration):
        raise XapiError(403, "The registration is not the learner's registration.")
    scope = {"activity_id": activity, "agent": agent, "registration": registration}
    return _document_view(DocumentKind.STATE, request, session, scope=scope, id_param="stateId")


@_guarded
def activity_profile(request):
    session = _session(request)
    activity = request.GET.get("activityId")
    if not activity:
        raise XapiError(400, "activityId is required.")
    return _document_view(
        DocumentKind.ACTIVITY_PROFILE,
        request,
        session,
        scope={"activity_id": activity},
        id_param="profileId",
    )


@_guarded
def agent_profile(request):
    session = _session(request)
    agent = _own_agent(request, session)
    return _document_view(
        DocumentKind.AGENT_PROFILE, request, session, scope={"agent": agent}, id_param="profileId"
    )


@csrf_exempt
def cmi5_fetch(request, key: str):
    """cmi5 8.2: POST to the fetch URL gives the auth token once."""
    if request.method != "POST":
        return JsonResponse({"error-code": "3", "error-text": "Use POST."}, status=405)
    status, body = cmi5.fetch_token(key)
    return JsonResponse(body, status=status)
