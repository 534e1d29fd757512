from django.urls import path

from qualify.web.coordinator import assigning, certificates, learning, requirements, views

urlpatterns = [
    path("job-functions/", views.job_function_list, name="coordinator_job_functions"),
    path("matrix/", views.matrix, name="coordinator_matrix"),
    path("matrix/add/", views.matrix_add, name="coordinator_matrix_add"),
    path("matrix/<int:pk>/end/", views.matrix_end, name="coordinator_matrix_end"),
    path("requirements/", requirements.requirement_list, name="coordinator_requirements"),
    path("requirements/new/", requirements.requirement_new, name="coordinator_requirement_new"),
    path("curricula/", requirements.curriculum_list, name="coordinator_curricula"),
    path("curricula/<int:pk>/", requirements.curriculum_detail, name="coordinator_curriculum"),
    path("people/", views.people, name="coordinator_people"),
    path("people/<int:pk>/", views.person_detail, name="coordinator_person"),
    path("people/<int:pk>/onboarding/", learning.onboarding, name="coordinator_onboarding"),
    path("effectiveness/", learning.effectiveness_page, name="coordinator_effectiveness"),
    path("assignments/", views.assignments, name="coordinator_assignments"),
    path("assignments/new/", assigning.assignment_new, name="coordinator_assignment_new"),
    path("assignments/<int:pk>/", assigning.assignment_detail, name="coordinator_assignment"),
    path(
        "assignments/<int:pk>/cancel/",
        assigning.assignment_cancel,
        name="coordinator_assignment_cancel",
    ),
    path("records/<int:pk>/", assigning.record_detail, name="coordinator_record"),
    path("records/<int:pk>/correct/", assigning.record_correct, name="coordinator_record_correct"),
    path("compliance/", views.dashboard, name="coordinator_dashboard"),
    path("certificates/", certificates.certificate_list, name="coordinator_certificates"),
    path(
        "certificates/<int:pk>/",
        certificates.certificate_detail,
        name="coordinator_certificate",
    ),
]
