from django.urls import path

from qualify.web.trainer import views

urlpatterns = [
    path("", views.home, name="trainer_home"),
    path("classroom/", views.classroom, name="trainer_classroom"),
    path("on-the-job/", views.on_the_job, name="trainer_ojt"),
    path("people/", views.people_search, name="trainer_people"),
]
