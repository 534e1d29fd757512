from django.urls import path

from qualify.identity.scim import views

app_name = "scim"

urlpatterns = [
    path("Users", views.users, name="users"),
    path("Users/<str:pk>", views.user, name="user"),
    path("Groups", views.groups, name="groups"),
    path("Groups/<str:pk>", views.group, name="group"),
    path("Bulk", views.bulk, name="bulk"),
    path("ServiceProviderConfig", views.service_provider_config, name="config"),
    path("ResourceTypes", views.resource_types, name="resource_types"),
    path("ResourceTypes/<str:name>", views.resource_type, name="resource_type"),
    path("Schemas", views.schemas, name="schemas"),
    path("Schemas/<str:urn>", views.schema, name="schema"),
]
