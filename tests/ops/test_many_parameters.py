"""A statement with more parameters than PostgreSQL's protocol takes (65,535) still
answers (P205): with parameters bound on the server (P202) such a statement is composed
on the client and sent whole; a plant of 70,000 people is filtered by their ids."""

import pytest
from django.conf import settings
from django.db import NotSupportedError, connection, connections

from qualify import settings as qualify_settings
from qualify.org import services as org
from qualify.org.models import Person
from qualify.postgresql.base import MAX_PARAMETERS
from tests.ops.database_options import PG, database_options

pytestmark = pytest.mark.requirement("P205")

MANY = MAX_PARAMETERS + 4_465  # 70,000


def test_postgresql_addresses_use_the_backend_that_keeps_to_the_limit(monkeypatch):
    monkeypatch.setenv("QUALIFY_PROBE_DATABASE_URL", PG)
    assert qualify_settings._database("QUALIFY_PROBE_DATABASE_URL")["ENGINE"] == (
        "qualify.postgresql"
    )
    assert database_options(monkeypatch, PG, "QUALIFY_DB_PREPARE_THRESHOLD", None)[
        "server_side_binding"
    ]


@pytest.mark.django_db
def test_a_statement_with_more_parameters_than_the_protocol_takes_answers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (VALUES " + ", ".join(["(%s)"] * MANY) + ") v", [1] * MANY
        )
        assert cursor.fetchone()[0] == MANY
        # Quoting is the client's: a text parameter with a quote and a percent sign.
        among = ", ".join(["%s"] * MANY)
        cursor.execute(f"SELECT %s WHERE 'x' IN ({among})", ["it's 100%", *(["x"] * MANY)])
        assert cursor.fetchone()[0] == "it's 100%"


@pytest.mark.django_db
def test_people_are_filtered_and_iterated_by_70000_ids(admin, coordinator):
    site = org.site_create(actor=admin, code="DUB", name="Dublin", time_zone="Europe/Dublin")
    people = [
        org.person_create(actor=coordinator, employee_number=f"E{n}", full_name=f"P {n}", site=site)
        for n in range(3)
    ]
    ids = [p.pk for p in people] + list(range(10**9, 10**9 + MANY - 3))
    rows = Person.objects.filter(pk__in=ids)
    assert rows.count() == 3
    assert sorted(p.pk for p in rows.iterator(chunk_size=2)) == sorted(p.pk for p in people)


def test_the_postgresql_pass_runs_on_the_backend_it_tests():
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass checks its backend")
    assert settings.DATABASES["default"]["ENGINE"] == "qualify.postgresql"
    assert type(connections["default"]).__module__ == "qualify.postgresql.base"


@pytest.mark.django_db
def test_a_statement_composed_on_the_client_is_not_prepared():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements; the PostgreSQL pass runs it")
    statement = "SELECT COUNT(*) FROM (VALUES " + ", ".join(["(%s)"] * MANY) + ") v"
    with connection.cursor() as cursor:
        for _ in range(3):  # more than the threshold of runs that prepares a statement
            cursor.execute(statement, [7] * MANY)
        cursor.execute(
            "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%(7)%"]
        )
        assert cursor.fetchone()[0] == 0


def _other_connection():
    """A connection of another process's kind: its own, outside Django's."""
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"], autocommit=True
    )


@pytest.mark.django_db
def test_a_prepared_statement_whose_columns_changed_type_elsewhere_is_planned_again():
    """P205: a migration by another process changes a column's type; this process's
    connection, which had prepared a read of it, answers again instead of failing with
    "cached plan must not change result type" until it is closed."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements; the PostgreSQL pass runs it")
    read = "SELECT id, name FROM p205_scratch WHERE id = %s"
    other = _other_connection()
    other.execute("CREATE TABLE p205_scratch (id integer, name varchar(10))")
    # A connection as a request has it, outside the test's own transaction (whose
    # lock on the table would hold the other connection's ALTER back).
    own = connections.create_connection("default")
    try:
        other.execute("INSERT INTO p205_scratch VALUES (1, 'a')")
        with own.cursor() as cursor:
            for _ in range(3):  # prepared after the threshold's runs
                cursor.execute(read, [1])
                assert cursor.fetchall() == [(1, "a")]
            other.execute("ALTER TABLE p205_scratch ALTER COLUMN name TYPE varchar(300)")
            cursor.execute(read, [1])  # outside a transaction: run again at once
            assert cursor.fetchall() == [(1, "a")]
            for _ in range(3):
                cursor.execute(read, [1])
            other.execute("ALTER TABLE p205_scratch ALTER COLUMN name TYPE text")
            # Inside a transaction the error fails it, as any error does ...
            own.set_autocommit(False)
            with pytest.raises(NotSupportedError):
                cursor.execute(read, [1])
            own.rollback()
            # ... and the next statement finds the connection's plans forgotten.
            cursor.execute(read, [1])
            assert cursor.fetchall() == [(1, "a")]
            own.rollback()
            own.set_autocommit(True)
    finally:
        own.close()
        other.execute("DROP TABLE p205_scratch")
        other.close()
