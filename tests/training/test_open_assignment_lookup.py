"""Issue 18 (P138): the open assignments of a requirement are found through the
requirement, not by reading every open assignment of the plant. The lookups G3 and
create_assignments make ask for no order, so SQLite no longer walks the (status,
due_at) index to skip a sort, and give exactly the open pairs of the requirements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualify.training.models import AssignmentStatus
from qualify.training.services.assignments import _open_keys, open_pairs
from tests.training.support import open_assignments

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P138", "G3")]


def test_open_assignments_are_read_through_their_requirement(plant):
    sop = plant.requirement("SOP-050-RU", document=plant.document("SOP-050"))
    other = plant.requirement("SOP-051-RU", document=plant.document("SOP-051"))
    plant.matrix(sop)
    plant.matrix(other)
    people = [plant.person(f"Op{i}", job_function=plant.operators) for i in range(3)]
    plant.read(people[0], sop)  # completes that open assignment
    expected = {(a.person_id, a.requirement_id) for a in open_assignments(requirement=sop)}
    assert expected == {(p.pk, sop.pk) for p in people[1:]}
    with CaptureQueriesContext(connection) as queries:
        found = open_pairs([sop.pk])
        keys = _open_keys([sop.pk])
    assert set(found) == keys == expected
    assert all(a.status == AssignmentStatus.OPEN for a in found.values())
    for query in queries:
        assert "ORDER BY" not in query["sql"]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
                plan = " ".join(str(row[3]) for row in cursor.fetchall())
            assert "assignment_status_due" not in plan, plan
