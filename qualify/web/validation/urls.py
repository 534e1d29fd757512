from django.urls import path

from qualify.web.validation import views

urlpatterns = [
    path("", views.runs, name="validation_runs"),
    path("<int:pk>/", views.run_detail, name="validation_run"),
]
