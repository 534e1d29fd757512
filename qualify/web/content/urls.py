from django.urls import path

from qualify.web.content import authoring, views, waivers, xapi

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
    # Authoring light: courses of pages with an assessment, exported and published.
    path("courses/", authoring.courses, name="content_courses"),
    path("courses/<int:pk>/", authoring.course, name="content_course"),
    path("courses/<int:pk>/pages/", authoring.page_add, name="content_course_page_add"),
    path("courses/<int:pk>/export/", authoring.export, name="content_course_export"),
    path("courses/<int:pk>/publish/", authoring.publish, name="content_course_publish"),
    path("courses/pages/<int:pk>/", authoring.page, name="content_course_page"),
    path("courses/pages/<int:pk>/image/", authoring.page_image, name="content_course_page_image"),
    path(
        "courses/pages/<int:pk>/remove/", authoring.page_remove, name="content_course_page_remove"
    ),
    path("courses/pages/<int:pk>/move/", authoring.page_move, name="content_course_page_move"),
    # cmi5 "waived": the coordinator waives an AU of a learner's attempt.
    path("waivers/", waivers.open_attempts, name="content_waivers"),
    path("waivers/<int:pk>/", waivers.waive, name="content_attempt_waive"),
]
