from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "qualify.signatures"
    label = "signatures"
    verbose_name = "Electronic signatures"

    def ready(self) -> None:
        from qualify.signatures import actions  # noqa: F401
