from django.urls import path

from qualify.web.quality import capa, changes, views

urlpatterns = [
    path("", views.overview, name="quality"),
    path("capa/new/", views.capa_new, name="quality_capa_new"),
    path("capa/<int:pk>/action/", views.capa_action_new, name="quality_capa_action_new"),
    path("action/<int:pk>/complete/", views.capa_action_complete, name="quality_action_complete"),
    path("capa/<int:pk>/training/", capa.training_action_new, name="quality_capa_training_new"),
    path("capa/<int:pk>/qa-review/", capa.qa_review, name="quality_capa_qa_review"),
    path("action/<int:pk>/review/", capa.effectiveness_review, name="quality_action_review"),
    path("change-controls/new/", changes.change_control_new, name="quality_cc_new"),
    path(
        "change-controls/<int:pk>/approve/",
        changes.change_control_approve,
        name="quality_cc_approve",
    ),
    path("change-controls/<int:pk>/link/", changes.change_control_link, name="quality_cc_link"),
    path("deviations/new/", changes.deviation_new, name="quality_deviation_new"),
    path("batches/", views.batches, name="quality_batches"),
    path("batches/<str:batch>/", views.batch_detail, name="quality_batch"),
    path("<str:kind>/", views.event_list, name="quality_list"),
    path("<str:kind>/<int:pk>/", views.event_detail, name="quality_detail"),
    path("<str:kind>/<int:pk>/close/", views.event_close, name="quality_close"),
]
