from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "qualify.quality"
    label = "quality"
    verbose_name = "Quality events"

    def ready(self) -> None:
        from qualify.accounts import roles
        from qualify.quality import actions, handlers, work_notices  # noqa: F401

        roles.grant(
            roles.EMPLOYEE,
            "quality.report_deviation",
            "quality.record_execution",
        )
        roles.grant(
            roles.DOCUMENT_CONTROLLER,
            "quality.manage_change_control",
        )
        roles.grant(
            roles.QA_APPROVER,
            "quality.manage_change_control",
            "quality.manage_capa",
            "quality.report_deviation",
            "quality.order_requalification",
            "quality.close_quality_event",
            "quality.record_execution",
            # G5: CAPA actions and requalification orders assign training.
            "training.assign_training",
        )
        roles.grant(
            roles.AUDITOR,
            "quality.view_changecontrol",
            "quality.view_capa",
            "quality.view_deviation",
            "quality.view_execution",
        )
