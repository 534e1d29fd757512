from django.urls import path

from qualify.web.employee import completion, views

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
    # Completion methods beyond reading: e-learning, classroom sessions, certificates.
    path(
        "assignments/<int:pk>/read/",
        completion.elearning_read,
        name="employee_elearning_read",
    ),
    path("sessions/<int:pk>/", completion.session, name="employee_session"),
    path("certificates/new/", completion.certificate_new, name="employee_certificate_new"),
    path("certificates/<int:pk>/", completion.certificate, name="employee_certificate"),
    path("path/", views.my_path, name="employee_path"),
]
