from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "qualify.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from qualify.accounts import actions  # noqa: F401
        from qualify.accounts.roles import ROLE_PERMISSIONS, sync_role_permissions
        from qualify.audit.security import expect_group_permissions

        post_migrate.connect(sync_role_permissions, dispatch_uid="qualify-sync-roles")
        # A6: `audit verify` names a role's group granting more or less than this.
        expect_group_permissions(lambda: {r: set(p) for r, p in ROLE_PERMISSIONS.items()})
