from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "qualify.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from qualify.audit import (
            actions,  # noqa: F401  (registers the audit's own actions)
            security,
        )

        security.register()
