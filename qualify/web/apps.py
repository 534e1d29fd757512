from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "qualify.web"
    label = "web"
    verbose_name = "Pages"
