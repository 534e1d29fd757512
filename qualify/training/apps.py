from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "qualify.training"
    label = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        from qualify.accounts import roles
        from qualify.documents import events as document_events
        from qualify.org import events as org_events
        from qualify.training import actions  # noqa: F401
        from qualify.training.services import rules

        roles.grant(
            roles.COORDINATOR,
            "training.manage_requirements",
            "training.change_matrix",
            "training.assign_training",
            # Entering an external certificate for someone (the trainee still signs).
            "training.record_training",
            # The go-live migration of people, the matrix and training history (R2).
            "training.import_legacy",
        )
        roles.grant(roles.TRAINER, "training.record_training")
        # A coordinator verifies external certificates with a meaning of its own (never
        # the QA "verified" of CAPAs and migration reports).
        roles.grant(
            roles.COORDINATOR, "training.verify_certificate", "signatures.sign_certificate_verified"
        )
        # Quality events (CAPA, deviation) assign retraining and order requalification (G5).
        roles.grant(roles.QA_APPROVER, "training.assign_training")
        roles.grant(
            roles.AUDITOR,
            *(
                f"training.view_{model}"
                for model in (
                    "requirement",
                    "curriculum",
                    "curriculumitem",
                    "matrixentry",
                    "assignment",
                    "trainingrecord",
                    "requalificationorder",
                    "externalcertificate",
                    "classsession",
                    "enrolment",
                )
            ),
        )

        # G2, G3, G6: the rules run inside the transaction of the event (qualify.hooks).
        org_events.job_assignment_started.connect(rules.on_job_assignment_started)
        org_events.job_assignment_ended.connect(rules.on_job_assignment_ended)
        org_events.person_deactivated.connect(rules.on_person_deactivated)
        document_events.version_approved.connect(rules.on_version_approved)
        document_events.document_obsoleted.connect(rules.on_document_obsoleted)
