"""`qualify migrate`: Django's, with the libraries' migrations first on a new database.

Django re-renders every model related to the one a migration changes. The libraries
that hang off the user model (OAuth2 tokens, OTP devices) change their fields in some
forty migrations, and in Django's default order they run after our apps, when nearly
every model relates to the user: on a new database that was a third of `migrate`.
Applied first, when only the user model exists, they cost little. Only a new database
is reordered: the libraries depend on nothing of ours but the user model, so the
result is the same schema, and an existing database's history is left as it is.
"""

from django.apps import apps
from django.core.management.commands import migrate
from django.db import connections
from django.db.migrations.executor import MigrationExecutor


def library_plan(executor: MigrationExecutor) -> tuple[list, list]:
    """The targets and plan that bring every library app to its latest migration."""
    labels = {c.label for c in apps.get_app_configs() if not c.name.startswith("qualify.")}
    targets = [node for node in executor.loader.graph.leaf_nodes() if node[0] in labels]
    return targets, executor.migration_plan(targets)


class Command(migrate.Command):
    def handle(self, *args, **options):
        whole = not options.get("app_label") and not options.get("migration_name")
        plain = not (options.get("plan") or options.get("fake") or options.get("check_unapplied"))
        if whole and plain and not options.get("fake_initial"):
            self._libraries_first(options["database"], options["verbosity"])
        return super().handle(*args, **options)

    def _libraries_first(self, database: str, verbosity: int) -> None:
        self.verbosity = verbosity
        executor = MigrationExecutor(connections[database], self.migration_progress_callback)
        if executor.loader.applied_migrations:
            return
        targets, plan = library_plan(executor)
        if not plan:
            return
        if verbosity >= 1:
            self.stdout.write(self.style.MIGRATE_HEADING("Libraries first (new database):"))
        executor.migrate(targets, plan=plan)
