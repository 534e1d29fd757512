from django.urls import path

from qualify.accounts import views

# Mounted at accounts/, before django.contrib.auth.urls if that stays included.
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/forgotten/", views.password_forgotten, name="password_forgotten"),
    path("password/set/", views.password_set, name="password_set"),
]
