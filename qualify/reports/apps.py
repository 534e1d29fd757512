from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "qualify.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from qualify.reports import actions, library  # noqa: F401  (registers the reports)
