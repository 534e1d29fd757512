from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "qualify.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from qualify.reports import actions, library  # noqa: F401  (registers the reports)
        from qualify.reports.review import send_overdue_reminders
        from qualify.training.scheduler import Job, register_daily

        register_daily(
            Job(
                "reports.audit_review_reminders",
                "Audit-trail reviews overdue (Annex 11 §9)",
                send_overdue_reminders,
            )
        )
