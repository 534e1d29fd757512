from django.urls import path

from qualify.web.administration import views

urlpatterns = [
    path("users/", views.users, name="admin_users"),
    path("users/new/", views.user_new, name="admin_user_new"),
    path("users/onboard/", views.onboard, name="admin_users_onboard"),
    path("users/<int:pk>/", views.user, name="admin_user"),
    path("users/<int:pk>/roles/", views.set_roles, name="admin_user_roles"),
    path("users/<int:pk>/unlock/", views.unlock, name="admin_user_unlock"),
    path("users/<int:pk>/lock/", views.lock, name="admin_user_lock"),
    path("users/<int:pk>/password-reset/", views.password_reset, name="admin_user_password_reset"),
    path("users/<int:pk>/deactivate/", views.deactivate, name="admin_user_deactivate"),
    path("users/<int:pk>/reactivate/", views.reactivate, name="admin_user_reactivate"),
    path("users/<int:pk>/identity/", views.verify_identity, name="admin_user_identity"),
    path("users/<int:pk>/authenticator/", views.reset_otp, name="admin_user_otp_reset"),
    path("users/<int:pk>/clients/grant/", views.grant_client, name="admin_user_client_grant"),
    path("users/<int:pk>/clients/revoke/", views.revoke_client, name="admin_user_client_revoke"),
    path("users/<int:pk>/exception/", views.grant_exception, name="admin_user_exception"),
    path("users/<int:pk>/exception/end/", views.end_exception, name="admin_user_exception_end"),
    path("access-history/", views.access_history, name="admin_access_history"),
]
