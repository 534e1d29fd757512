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
