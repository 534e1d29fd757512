"""P22: while the database is away a request answers a short 503 with Retry-After
(a page for people, problem+json for the API), never a 500 with a traceback, and the
next request after it returns is served normally."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import Client
from django.urls import path

pytestmark = [pytest.mark.requirement("P22"), pytest.mark.django_db]

state = {"down": None}


def view(request):
    if state["down"] is not None:
        raise state["down"]("server closed the connection unexpectedly")
    return HttpResponse("served")


urlpatterns = [path("page/", view), path("api/v1/thing/", view)]


@pytest.fixture
def app(settings, employee):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    # These two test URLs are in no access rule; who may see them is not the point.
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if not m.endswith("AccessPolicyMiddleware")
    ]
    state["down"] = None
    client = Client(raise_request_exception=False)
    client.force_login(employee)
    yield client
    state["down"] = None


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_answers_503_with_retry_after_while_the_database_is_away(app, error):
    state["down"] = error
    r = app.get("/page/")
    assert r.status_code == 503
    assert r["Retry-After"] == "5"
    assert r["Content-Type"].startswith("text/html")
    text = r.content.decode()
    assert "briefly unavailable" in text
    assert "Traceback" not in text
    assert "server closed the connection" not in text  # no internals shown


def test_the_api_answers_problem_json_503(app):
    state["down"] = OperationalError
    r = app.post("/api/v1/thing/", {}, content_type="application/json")
    assert r.status_code == 503
    assert r["Content-Type"] == "application/problem+json"
    assert r["Retry-After"] == "5"
    body = r.json()
    assert body["status"] == 503
    assert body["title"] == "Service unavailable"


def test_an_outage_met_outside_the_view_is_a_503_too(app, monkeypatch):
    """The session middleware loads the session before any view runs."""

    def load(self):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(SessionStore, "load", load)
    r = app.get("/page/")
    assert r.status_code == 503
    assert r["Retry-After"] == "5"


def test_service_resumes_by_itself_when_the_database_returns(app):
    state["down"] = OperationalError
    assert app.get("/page/").status_code == 503
    state["down"] = None
    r = app.get("/page/")
    assert r.status_code == 200
    assert r.content == b"served"


def test_without_the_middleware_the_same_outage_is_a_500(app, settings):
    """The mapping is the middleware's doing (this fails if it is removed from
    MIDDLEWARE or stops mapping)."""
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "qualify.outage.DatabaseUnavailableMiddleware"
    ]
    state["down"] = OperationalError
    assert app.get("/page/").status_code == 500


def test_other_errors_stay_500(app):
    state["down"] = ValueError
    assert app.get("/page/").status_code == 500


@pytest.mark.requirement("P21")
def test_a_concurrent_unique_clash_is_a_409_saying_so_not_a_500(app):
    """Two HR feeds creating the same person, two coordinators adding the same entry:
    the database's unique constraint refuses the second insert, and the caller is
    told what happened."""
    state["down"] = IntegrityError
    page = app.post("/page/")
    assert page.status_code == 409
    assert "same moment" in page.content.decode()
    api = app.post("/api/v1/thing/", {}, content_type="application/json")
    assert api.status_code == 409
    assert api["Content-Type"] == "application/problem+json"
    assert api.json()["title"] == "Conflict"
