from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qualify.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from qualify.api import actions, schema_auth  # noqa: F401
        from qualify.api.webhooks import emit

        emit.connect_hooks()
