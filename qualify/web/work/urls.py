from django.urls import path

from qualify.web.work import views

urlpatterns = [path("", views.my_work, name="work")]
