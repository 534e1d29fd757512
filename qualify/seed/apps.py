from django.apps import AppConfig


class SeedConfig(AppConfig):
    name = "qualify.seed"
    label = "seed"
    verbose_name = "Demo and scale data"
