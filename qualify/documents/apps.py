from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "qualify.documents"
    label = "documents"
    verbose_name = "Controlled documents"

    def ready(self) -> None:
        from qualify.documents import actions  # noqa: F401
