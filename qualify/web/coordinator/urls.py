from django.urls import path

from qualify.web.coordinator import requirements, views

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
    path("assignments/", views.assignments, name="coordinator_assignments"),
    path("compliance/", views.dashboard, name="coordinator_dashboard"),
]
