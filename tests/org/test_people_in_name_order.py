"""P178: a page of people in name order (the people lists' order) is read from an index on
the name, not by sorting every person of the plant."""

import pytest
from django.db import connection

from qualify.org.models import Person

pytestmark = [pytest.mark.requirement("P178"), pytest.mark.django_db]


def test_the_name_has_an_index_of_its_own():
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Person._meta.db_table)
    assert any(c["index"] and c["columns"] == ["full_name"] for c in found.values())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the plan of SQLite's planner")
def test_a_page_in_name_order_is_not_a_sort_of_everyone():
    page = Person.objects.select_related("site", "department", "user").order_by("full_name")[:50]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "TEMP B-TREE FOR ORDER BY" not in plan
    assert "person_name" in plan


@pytest.mark.requirement("P194")
def test_a_text_search_finds_people_by_name_number_or_user_id(searchable_people):
    from qualify.org.filtersets import PersonFilter

    kim, lee, ann = (searchable_people[name] for name in ("kim", "lee", "ann"))

    def found(text):
        rows = PersonFilter({"q": text}, queryset=Person.objects.all()).qs
        return set(rows)

    assert found("ops-KIM") == {kim, lee}  # the user id, the employee number
    assert found("  OPS ") == {kim, lee, ann}  # and the name, letter case ignored
    assert found("park") == {kim}
    assert found("nobody") == set()


@pytest.mark.requirement("P194")
def test_a_text_search_reads_user_ids_as_a_subquery_not_a_join_of_everyone():
    from qualify.org.filtersets import PersonFilter

    rows = PersonFilter({"q": "Person 1"}, queryset=Person.objects.all()).qs.order_by("full_name")
    sql = str(rows[:50].query)
    # Joined to their users before the filter, every person was read and sorted on
    # PostgreSQL (a hash join), where the name index could give the page at once.
    assert "JOIN" not in sql.upper()
    assert 'FROM "accounts_user" U0 WHERE' in sql
