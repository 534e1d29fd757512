from django.urls import include, path

urlpatterns = [
    path("accounts/", include("qualify.accounts.urls")),
    path("api/v1/", include("qualify.api.urls")),
    path("identity/", include("qualify.identity.urls")),
    path("", include("qualify.web.urls")),
]
