from django.urls import path

from qualify.web.coordinator import views

urlpatterns = [
    path("job-functions/", views.job_function_list, name="coordinator_job_functions"),
    path("matrix/", views.matrix, name="coordinator_matrix"),
    path("matrix/add/", views.matrix_add, name="coordinator_matrix_add"),
    path("matrix/<int:pk>/end/", views.matrix_end, name="coordinator_matrix_end"),
    path("people/", views.people, name="coordinator_people"),
    path("people/<int:pk>/", views.person_detail, name="coordinator_person"),
    path("assignments/", views.assignments, name="coordinator_assignments"),
    path("compliance/", views.dashboard, name="coordinator_dashboard"),
]
