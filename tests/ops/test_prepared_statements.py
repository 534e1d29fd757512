"""PostgreSQL plans a statement that a connection runs again and again once (issue 18):
after QUALIFY_DB_PREPARE_THRESHOLD runs (2 unless set) it is prepared on the server,
with its parameters bound there. Empty turns preparing off (for poolers that share a
server connection between clients); anything but a whole number is refused at start."""

import pytest
from django.db import connection

from qualify.org.models import Site
from tests.ops.database_options import PG, database_options

pytestmark = pytest.mark.requirement("P202")


def _options(monkeypatch, url: str, threshold: str | None) -> dict:
    return database_options(monkeypatch, url, "QUALIFY_DB_PREPARE_THRESHOLD", threshold)


def test_postgresql_statements_are_prepared_after_two_runs(monkeypatch):
    options = _options(monkeypatch, PG, None)
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 2


def test_another_threshold_is_taken_and_an_empty_one_prepares_nothing(monkeypatch):
    assert _options(monkeypatch, PG, "0")["prepare_threshold"] == 0
    assert _options(monkeypatch, PG, "10")["prepare_threshold"] == 10
    off = _options(monkeypatch, PG, "")
    assert "prepare_threshold" not in off
    assert "server_side_binding" not in off


@pytest.mark.parametrize("threshold", ["two", "-1", "1.5", " 2", "²"])
def test_a_threshold_that_is_not_a_whole_number_is_refused(monkeypatch, threshold):
    with pytest.raises(ValueError, match="QUALIFY_DB_PREPARE_THRESHOLD"):
        _options(monkeypatch, PG, threshold)


def test_sqlite_has_no_such_option(monkeypatch):
    options = _options(monkeypatch, "sqlite:///x.sqlite3", None)
    assert "prepare_threshold" not in options
    assert "server_side_binding" not in options


@pytest.mark.django_db
def test_a_statement_run_again_is_prepared_on_the_running_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements; the PostgreSQL pass runs it")

    def prepared() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return {row[0] for row in cursor.fetchall()}

    before = prepared()
    for code in ("P202-A", "P202-B", "P202-C"):
        # One statement text, other parameters each time: bound on the server.
        assert not Site.objects.filter(code=code).exists()
    new = prepared() - before
    assert any('"org_site"' in statement and "$1" in statement for statement in new)
