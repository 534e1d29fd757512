from django.urls import path

from qualify.web.content import views, xapi

urlpatterns = [
    path("assignments/<int:pk>/", views.launch, name="content_launch"),
    path("attempts/<int:pk>/commit/", views.commit, name="content_commit"),
    path("attempts/<int:pk>/sign/", views.sign, name="content_sign"),
    path("attempts/<int:pk>/status/", views.status, name="content_status"),
    path("files/<int:version>/<path:path>", views.package_file, name="content_file"),
    path("cmi5/fetch/<str:key>/", xapi.cmi5_fetch, name="content_cmi5_fetch"),
    path("xapi/about", xapi.about, name="content_xapi_about"),
    path("xapi/statements", xapi.statements, name="content_xapi_statements"),
    path("xapi/activities/state", xapi.state, name="content_xapi_state"),
    path("xapi/activities/profile", xapi.activity_profile, name="content_xapi_activity_profile"),
    path("xapi/agents/profile", xapi.agent_profile, name="content_xapi_agent_profile"),
]
