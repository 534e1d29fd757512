"""P203: people, accounts and documents are searched by part of a name, number, title
or user id from an index on PostgreSQL (pg_trgm on the expression Django's `icontains`
compiles to), with the answers the plain search gives; SQLite reads the table as
before. Where the extension cannot be created the indexes are left out and searches
still answer."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from qualify import text_search
from qualify.documents.models import Document
from qualify.ids import AmongRows
from qualify.org.models import Person, Site
from qualify.org.queries import person_text_match

pytestmark = [pytest.mark.requirement("P203"), pytest.mark.django_db]

pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's trigram indexes"
)


def test_among_rows_gives_the_rows_in_gives():
    sites = [Site.objects.create(code=f"T{n}", name=f"Site {n}") for n in range(5)]
    for wanted in ([], sites[:1], sites[1:4], sites):
        rows = Site.objects.filter(pk__in=[s.pk for s in wanted]).values("pk")
        among = set(Site.objects.filter(AmongRows("pk", rows)))
        assert among == set(Site.objects.filter(pk__in=rows)) == set(wanted)


def test_a_person_is_matched_in_one_statement_by_name_number_or_user_id(searchable_people):
    kim, lee, ann = (searchable_people[name] for name in ("kim", "lee", "ann"))
    with CaptureQueriesContext(connection) as statements:
        found = set(Person.objects.filter(person_text_match("ops")))
    assert found == {kim, lee, ann}  # the user id, the employee number, the name
    assert len(statements) == 1
    assert set(Person.objects.filter(person_text_match("nobody"))) == set()


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test database is small enough to read whole; with reading the table ruled
        # out, the plan shows whether the index can answer the statement at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pg_only
@pytest.mark.django_db(transaction=False)
def test_on_postgresql_the_searches_are_answered_from_their_indexes():
    people = Person.objects.filter(person_text_match("smith")).order_by()
    plan = _plan(people)
    for column in ("full_name", "employee_number"):
        assert text_search.index_name("org_person", column) in plan
    accounts = get_user_model().objects.filter(username__icontains="smith")
    assert text_search.index_name("accounts_user", "username") in _plan(accounts)
    by_name = get_user_model().objects.filter(printed_name__icontains="smith")
    assert text_search.index_name("accounts_user", "printed_name") in _plan(by_name)
    documents = Document.objects.filter(Q(number__icontains="sop") | Q(title__icontains="sop"))
    plan = _plan(documents.order_by())
    for column in ("number", "title"):
        assert text_search.index_name("documents_document", column) in plan


class _Refusing:
    """A connection that cannot create the extension (no right to, an old server)."""

    vendor = "postgresql"
    alias = "default"

    def __init__(self):
        self.executed = []

    def cursor(self):
        refusing = self

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, sql, params=None):
                refusing.executed.append(sql)
                if "EXTENSION" in sql:
                    raise DatabaseError("permission denied to create extension")

        return Cursor()


def test_without_the_extension_the_indexes_are_left_out_with_a_warning(caplog, monkeypatch):
    refusing = _Refusing()
    editor = type("Editor", (), {"connection": refusing})()
    monkeypatch.setattr(text_search.transaction, "atomic", lambda using: _NoTransaction())
    with caplog.at_level(logging.WARNING, logger="qualify.text_search"):
        text_search.create_indexes(editor, "org_person", ("full_name",))
    assert refusing.executed == ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    assert "left out" in caplog.text


class _NoTransaction:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_sqlite_gets_no_index():
    class Lite:
        vendor = "sqlite"

        def cursor(self):
            raise AssertionError("nothing is asked of SQLite")

    editor = type("Editor", (), {"connection": Lite()})()
    text_search.create_indexes(editor, "org_person", ("full_name",))
    text_search.drop_indexes(editor, "org_person", ("full_name",))
