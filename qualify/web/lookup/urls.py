from django.urls import path

from qualify.web.lookup import views

urlpatterns = [path("<str:kind>/", views.lookup, name="lookup")]
