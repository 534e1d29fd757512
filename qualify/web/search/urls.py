from django.urls import path

from qualify.web.search import views

urlpatterns = [path("", views.search, name="search")]
