import pytest
from django.http import HttpResponse, HttpResponseRedirect
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from qualify.web.middleware import HtmxRedirectMiddleware


def _through(response, *, htmx: bool):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    request = RequestFactory().post("/employee/assignments/1/", **headers)
    return HtmxMiddleware(HtmxRedirectMiddleware(lambda r: response))(request)


@pytest.mark.requirement("P13")
def test_a_redirect_after_an_htmx_post_makes_the_browser_navigate():
    response = _through(HttpResponseRedirect("/employee/records/7/"), htmx=True)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/employee/records/7/"


@pytest.mark.requirement("P13")
def test_plain_posts_and_non_redirects_pass_unchanged():
    plain = _through(HttpResponseRedirect("/x/"), htmx=False)
    assert plain.status_code == 302
    page = _through(HttpResponse("fragment"), htmx=True)
    assert page.status_code == 200
    assert "HX-Redirect" not in page
