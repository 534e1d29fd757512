"""PostgreSQL's planner is told that a page read at random costs 1.1 sequential reads
(issue 18): with the server's default of 4 a page of 50 assignments was joined by reading
whole tables instead of by their keys. QUALIFY_DB_RANDOM_PAGE_COST sets another value
or, empty, leaves the server's own; anything but a positive number is refused."""

import pytest
from django.db import connection

from tests.ops.database_options import PG, database_options

pytestmark = pytest.mark.requirement("P193")


def _options(monkeypatch, url: str, cost: str | None) -> dict:
    return database_options(monkeypatch, url, "QUALIFY_DB_RANDOM_PAGE_COST", cost)


def test_postgresql_connections_start_with_a_random_page_cost_of_1_1(monkeypatch):
    assert _options(monkeypatch, PG, None)["options"] == "-c random_page_cost=1.1"


def test_another_cost_is_taken_and_an_empty_one_leaves_the_servers(monkeypatch):
    assert _options(monkeypatch, PG, "2")["options"] == "-c random_page_cost=2.0"
    assert "options" not in _options(monkeypatch, PG, "")


def test_options_given_in_the_database_address_are_kept(monkeypatch):
    url = PG + "?options=-c%20search_path%3Dqualify"
    options = _options(monkeypatch, url, None)["options"]
    assert options == "-c search_path=qualify -c random_page_cost=1.1"


@pytest.mark.parametrize("cost", ["fast", "0", "-1", "nan", "inf"])
def test_a_cost_that_is_not_a_positive_number_is_refused(monkeypatch, cost):
    with pytest.raises(ValueError, match="QUALIFY_DB_RANDOM_PAGE_COST"):
        _options(monkeypatch, PG, cost)


def test_sqlite_has_no_planner_option(monkeypatch):
    assert "options" not in _options(monkeypatch, "sqlite:///x.sqlite3", None)


@pytest.mark.django_db
def test_the_running_database_plans_with_it_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner setting; the PostgreSQL pass runs it")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == pytest.approx(1.1)
