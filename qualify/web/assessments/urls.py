from django.urls import path

from qualify.web.assessments import views

urlpatterns = [
    path("", views.my_attempts, name="assessment_attempts"),
    path("requirement/<int:requirement_pk>/", views.take, name="assessment_take"),
    path("attempts/<int:pk>/", views.attempt, name="assessment_attempt"),
    path("attempts/<int:pk>/sign/", views.attempt_sign, name="assessment_attempt_sign"),
    path("banks/", views.banks, name="assessment_banks"),
    path("banks/<int:pk>/", views.bank, name="assessment_bank"),
    path("banks/<int:pk>/export/", views.bank_export, name="assessment_bank_export"),
    path("banks/<int:pk>/statistics/", views.statistics, name="assessment_statistics"),
    path("definitions/", views.definitions, name="assessment_definitions"),
    path("definitions/new/", views.define, name="assessment_define"),
    path("definitions/<int:pk>/edit/", views.edit, name="assessment_edit"),
    path("reviews/", views.reviews, name="assessment_reviews"),
    path("reviews/<int:pk>/", views.review, name="assessment_review"),
]
