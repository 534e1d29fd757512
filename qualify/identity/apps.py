from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "qualify.identity"
    label = "identity"
    verbose_name = "Enterprise identity"

    def ready(self) -> None:
        from qualify.identity import actions  # noqa: F401  (registers the audit actions)
        from qualify.identity.reauth import redeem
        from qualify.signatures.services import set_reauth_redeemer

        set_reauth_redeemer(redeem)
