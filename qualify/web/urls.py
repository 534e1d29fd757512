"""Pages. Each area of the site is a package under qualify/web with its own urls, views,
forms, templates (templates/web/<area>/) and menu entries (nav.py)."""

from django.urls import include, path

from qualify.web import views

app_name = "web"
AREAS = [
    "employee",
    "trainer",
    "account",
    "administration",
    "documents",
    "coordinator",
    "quality",
    "inspector",
    "organisation",
    "search",
    "reports",
    "work",
    "validation",
    "content",
    "assessments",
    "lookup",
]

urlpatterns = [
    path("", views.home, name="home"),
    *[path(f"{area}/", include(f"qualify.web.{area}.urls")) for area in AREAS],
]
