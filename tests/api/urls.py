"""The API alone, so these tests do not depend on the pages' URLs."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("qualify.api.urls"))]
