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
            # Organisation structure: not GxP records, set up by the administrator
            # (sites, departments, clients, frameworks). People, job functions and
            # job history decide who must be trained (Q5): the coordinator's.
            "org.add_site",
            "org.change_site",
            "org.add_department",
            "org.change_department",
            "org.add_client",
            "org.change_client",
            "org.add_framework",
            "org.change_framework",
            "org.view_site",
            "org.view_department",
            "org.view_client",
        )
        roles.grant(
            roles.COORDINATOR,
            "org.manage_people",
            "org.add_jobfunction",
            "org.change_jobfunction",
            "org.view_person",
            "org.view_jobfunction",
            "org.view_jobassignment",
            "org.view_site",
            "org.view_department",
            "org.view_client",
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
