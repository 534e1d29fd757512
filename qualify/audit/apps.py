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

        from django.db.models.signals import post_migrate

        from qualify.audit.system import on_post_migrate

        # Once per migrate (sender: this app), after every app's migrations.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="qualify-system-history")
