"""`qualify migrate` applies the libraries' migrations first on a new database (a third
of a fresh migrate was spent re-rendering our models for the libraries' field changes)."""

import pytest
from django.db.migrations.executor import MigrationExecutor

from qualify.audit.management.commands.migrate import Command, library_plan


def test_the_libraries_need_nothing_of_ours_but_the_user_model():
    """Applied first, the libraries' migrations must not pull in any of our own but
    the user model's first one: otherwise the reordering would change our history."""
    executor = MigrationExecutor(None)  # no connection: a database with no history
    targets, plan = library_plan(executor)
    assert ("oauth2_provider", "0001_initial") in {(m.app_label, m.name) for m, _ in plan}
    ours = {
        (m.app_label, m.name)
        for m, _ in plan
        if m.app_label in {"accounts", "audit", "org", "documents", "training", "quality"}
    }
    assert ours == {("accounts", "0001_initial")}
    assert all(not backwards for _, backwards in plan)
    assert targets


@pytest.mark.django_db
def test_a_database_with_history_is_migrated_in_djangos_order(monkeypatch):
    """An installed database (migrations applied) is never reordered: the pre-pass
    reads the history and applies nothing."""

    def refuse(*args, **kwargs):
        raise AssertionError("the pre-pass migrated a database that has a history")

    monkeypatch.setattr(MigrationExecutor, "migrate", refuse)
    Command()._libraries_first("default", verbosity=0)
