from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "qualify.content"
    label = "content"
    verbose_name = "E-learning content"

    def ready(self) -> None:
        from qualify.accounts import roles
        from qualify.content import (
            actions,  # noqa: F401
            services,
        )
        from qualify.documents import events as document_events
        from qualify.documents import uploads

        if services.check_package not in uploads.package_checkers:
            uploads.package_checkers.append(services.check_package)
        document_events.version_file_stored.connect(services.on_version_file_stored)
        roles.grant(roles.AUDITOR, "content.view_contentpackage", "content.view_attempt")
