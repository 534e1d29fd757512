from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "qualify.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from qualify.accounts import actions  # noqa: F401
        from qualify.accounts.roles import sync_role_permissions

        post_migrate.connect(sync_role_permissions, dispatch_uid="qualify-sync-roles")
