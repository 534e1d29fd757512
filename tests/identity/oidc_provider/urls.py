import json

from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as oauth_views
from oauth2_provider.models import get_application_model

from tests.identity.oidc_provider.validators import MODE


class AuthorizationView(oauth_views.AuthorizationView):
    """django-oauth-toolkit's view; in mode "ignore_prompt" it behaves like a provider
    that reuses its session despite prompt=login (what Qualify must refuse)."""

    def get(self, request, *args, **kwargs):
        if MODE["mode"] == "ignore_prompt" and "prompt" in request.GET:
            query = request.GET.copy()
            del query["prompt"]
            request.GET = query
        return super().get(request, *args, **kwargs)


@csrf_exempt
def control(request):
    data = json.loads(request.body or b"{}")
    if "mode" in data:
        MODE["mode"] = data["mode"]
    if "redirect_uri" in data:
        app = get_application_model().objects.get(client_id=data["client_id"])
        uris = app.redirect_uris.split()
        if data["redirect_uri"] not in uris:
            app.redirect_uris = " ".join([*uris, data["redirect_uri"]])
            app.save(update_fields=["redirect_uris"])
    return JsonResponse(MODE)


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/authorize/", AuthorizationView.as_view(), name="authorize"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("control/", control),
]
