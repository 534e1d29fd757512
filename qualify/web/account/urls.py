from django.urls import path

from qualify.web.account import views

urlpatterns = [
    path("", views.overview, name="account_overview"),
    path("password/", views.password_change, name="account_password"),
    path("authenticator/", views.authenticator, name="account_authenticator"),
    path("authenticator/start/", views.authenticator_start, name="account_authenticator_start"),
    path("acknowledge/", views.acknowledge, name="account_acknowledge"),
]
