from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "qualify.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from qualify.org import actions  # noqa: F401
