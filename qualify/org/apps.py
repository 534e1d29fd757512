from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "qualify.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from qualify.accounts import roles
        from qualify.org import actions  # noqa: F401

        roles.grant(
            roles.ADMINISTRATOR,
            "org.add_site",
            "org.add_department",
            "org.add_client",
            "org.add_framework",
        )
        roles.grant(
            roles.COORDINATOR,
            "org.manage_people",
            "org.add_jobfunction",
            "org.change_jobfunction",
            "org.view_person",
            "org.view_jobfunction",
            "org.view_jobassignment",
        )
        roles.grant(
            roles.AUDITOR,
            "org.view_site",
            "org.view_department",
            "org.view_client",
            "org.view_jobfunction",
            "org.view_person",
            "org.view_jobassignment",
        )
