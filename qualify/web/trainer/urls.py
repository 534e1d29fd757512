from django.urls import path

from qualify.web.trainer import sessions, views

urlpatterns = [
    path("", views.home, name="trainer_home"),
    path("on-the-job/", views.on_the_job, name="trainer_ojt"),
    path("people/", views.people_search, name="trainer_people"),
    path("sessions/", sessions.sessions, name="trainer_sessions"),
    path("sessions/<int:pk>/", sessions.session, name="trainer_session"),
    # The kiosk in the room: the signing window's token is the key (no sign-in).
    path("kiosk/<str:token>/", sessions.kiosk, name="kiosk"),
]
