from django.urls import path

from qualify.web.employee import views

urlpatterns = [
    path("", views.my_training, name="employee_training"),
    path("assignments/<int:pk>/", views.assignment, name="employee_assignment"),
    path(
        "assignments/<int:pk>/document/",
        views.assignment_document,
        name="employee_assignment_document",
    ),
    path("records/", views.my_records, name="employee_records"),
    path("records/<int:pk>/", views.my_record, name="employee_record"),
    path("qualifications/", views.my_qualifications, name="employee_qualifications"),
]
