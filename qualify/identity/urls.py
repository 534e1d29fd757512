from django.urls import path

from qualify.identity import admin_views, views

app_name = "identity"

urlpatterns = [
    path("oidc/login/", views.oidc_login, name="oidc_login"),
    path("oidc/callback/", views.oidc_callback, name="oidc_callback"),
    path("oidc/reauth/callback/", views.reauth_callback, name="reauth_callback"),
    path("sign/reauth/", views.sign_reauth, name="sign_reauth"),
    path("settings/", admin_views.provider_settings, name="settings"),
    path("logout/", views.logout, name="logout"),
    path("saml/metadata/", views.saml_metadata, name="saml_metadata"),
    path("saml/login/", views.saml_login, name="saml_login"),
    path("saml/acs/", views.saml_acs, name="saml_acs"),
    path("saml/acs/<str:key>/", views.saml_continue, name="saml_continue"),
    path("saml/slo/", views.saml_slo, name="saml_slo"),
]
