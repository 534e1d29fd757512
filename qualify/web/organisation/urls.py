from django.urls import path

from qualify.web.organisation import views

# Sites, departments, clients, frameworks and job functions share one set of views.
STRUCTURE = {
    "site": "sites",
    "department": "departments",
    "client": "clients",
    "framework": "frameworks",
    "job_function": "job-functions",
}

urlpatterns = [
    path("", views.home, name="org_home"),
    path("people/", views.people, name="org_people"),
    path("people/new/", views.person_new, name="org_person_new"),
    path("people/<int:pk>/", views.person_detail, name="org_person"),
    path("people/<int:pk>/job/", views.person_job, name="org_person_job"),
    path("people/<int:pk>/manager/", views.person_manager, name="org_person_manager"),
    path("people/<int:pk>/leave/", views.person_leave, name="org_person_leave"),
]
for kind, route in STRUCTURE.items():
    urlpatterns += [
        path(f"{route}/", views.structure_list, {"kind": kind}, name=f"org_{kind}s"),
        path(f"{route}/new/", views.structure_new, {"kind": kind}, name=f"org_{kind}_new"),
        path(f"{route}/<int:pk>/", views.structure_detail, {"kind": kind}, name=f"org_{kind}"),
        path(
            f"{route}/<int:pk>/retire/",
            views.structure_retire,
            {"kind": kind},
            name=f"org_{kind}_retire",
        ),
    ]
