from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "qualify.documents"
    label = "documents"
    verbose_name = "Controlled documents"

    def ready(self) -> None:
        from qualify.accounts import roles
        from qualify.documents import actions  # noqa: F401

        view = ("documents.view_document", "documents.view_documentversion")
        roles.grant(roles.DOCUMENT_CONTROLLER, "documents.manage_documents", *view)
        roles.grant(
            roles.QA_APPROVER,
            "documents.approve_version",
            "documents.obsolete_document",
            *view,
        )
        roles.grant(roles.AUDITOR, *view)
