from django.urls import path

from qualify.web.quality import views

urlpatterns = [
    path("", views.overview, name="quality"),
    path("capa/new/", views.capa_new, name="quality_capa_new"),
    path("capa/<int:pk>/action/", views.capa_action_new, name="quality_capa_action_new"),
    path("action/<int:pk>/complete/", views.capa_action_complete, name="quality_action_complete"),
    path("batches/", views.batches, name="quality_batches"),
    path("batches/<str:batch>/", views.batch_detail, name="quality_batch"),
    path("<str:kind>/", views.event_list, name="quality_list"),
    path("<str:kind>/<int:pk>/", views.event_detail, name="quality_detail"),
    path("<str:kind>/<int:pk>/close/", views.event_close, name="quality_close"),
]
