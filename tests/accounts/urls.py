"""The project's URLs with the accounts login in front, as qualify/urls.py will
mount them (`path("accounts/", include("qualify.accounts.urls"))` first)."""

from django.urls import include, path

from qualify.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("accounts/", include("qualify.accounts.urls")),
    *project_urlpatterns,
]
