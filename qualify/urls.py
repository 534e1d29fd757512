from django.urls import include, path

urlpatterns = [
    path("accounts/", include("qualify.accounts.urls")),
    path("", include("qualify.web.urls")),
]
