from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "qualify.identity"
    label = "identity"
    verbose_name = "Enterprise identity"

    def ready(self) -> None:
        from qualify.accounts.passwords import set_local_passwords_reader
        from qualify.identity import (
            actions,  # noqa: F401  (registers the audit actions)
            provider_settings,
        )
        from qualify.identity.reauth import redeem
        from qualify.signatures.services import set_reauth_redeemer

        set_reauth_redeemer(redeem)
        set_local_passwords_reader(
            lambda: provider_settings.value(provider_settings.LOCAL_PASSWORDS)
        )
