from django.urls import include, path
from oauth2_provider.views import TokenView

from qualify.web import ops

urlpatterns = [
    # Issue 18: liveness, readiness and metrics for load balancers and monitoring.
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("accounts/", include("qualify.accounts.urls")),
    path("api/v1/", include("qualify.api.urls")),
    path("identity/", include("qualify.identity.urls")),
    path("scim/v2/", include("qualify.identity.scim.urls")),
    path("oauth/token/", TokenView.as_view(), name="oauth_token"),
    path("", include("qualify.web.urls")),
]
