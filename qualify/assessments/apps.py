from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "qualify.assessments"
    label = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from qualify.accounts import roles
        from qualify.assessments import (
            actions,  # noqa: F401
            bank,
        )
        from qualify.documents import events as document_events

        # Every trainee signs the result of their own attempt (L1).
        for role in (
            roles.EMPLOYEE,
            roles.TRAINER,
            roles.COORDINATOR,
            roles.DOCUMENT_CONTROLLER,
            roles.QA_APPROVER,
        ):
            roles.grant(role, "signatures.sign_completed_assessment")
        roles.grant(roles.COORDINATOR, "assessments.manage_assessments")
        roles.grant(roles.TRAINER, "assessments.review_answers")
        roles.grant(roles.COORDINATOR, "assessments.review_answers")
        # L2: a bank version goes to review only with content that matches its questions.
        document_events.version_submitted.connect(bank.on_version_submitted)
