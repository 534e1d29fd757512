from django.apps import AppConfig

from qualify.validation.immutability import GUARDED_TABLES


class ValidationConfig(AppConfig):
    name = "qualify.validation"
    label = "validation"
    verbose_name = "Validation"
    # P90: the run records are guarded by triggers (immutability.py); `audit verify`
    # and IQ-07 report them missing or disabled like the trail's own.
    append_only_tables = GUARDED_TABLES

    def ready(self) -> None:
        from qualify.accounts import roles
        from qualify.validation import actions  # noqa: F401  (registers the audit actions)

        # P63: QA executes a validation (signed "validation executed") and another QA
        # approver approves it; the administrator, who never signs, may only read.
        roles.grant(roles.QA_APPROVER, "signatures.sign_executed", "validation.view_validationrun")
        roles.grant(roles.AUDITOR, "validation.view_validationrun")
