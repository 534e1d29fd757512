"""Issue 18 (P166): one person's open assignments (the employee's home, the
coordinator's person page) are found through the person, not by walking every open
assignment of the plant in due order and skipping everyone else's; the answer is
still exactly the person's open assignments, due soonest first."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualify.training import queries as training_queries
from qualify.training.models import AssignmentStatus
from tests.training.support import open_assignments

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P166", "G7")]


def test_a_persons_open_assignments_are_read_through_the_person(plant):
    sop, *others = (
        plant.requirement(f"SOP-06{i}-RU", document=plant.document(f"SOP-06{i}")) for i in range(3)
    )
    for requirement in (sop, *others):
        plant.matrix(requirement)
    person, colleague = (plant.person(f"Op{i}", job_function=plant.operators) for i in range(2))
    plant.read(person, sop)  # completes one of the person's three open assignments
    expected = open_assignments(person=person)
    assert {a.requirement_id for a in expected} == {r.pk for r in others}
    assert open_assignments(person=colleague)
    with CaptureQueriesContext(connection) as queries:
        found = list(training_queries.assignments(person=person, status=AssignmentStatus.OPEN))
    assert [a.pk for a in found] == [a.pk for a in sorted(expected, key=lambda a: (a.due_at, a.pk))]
    (query,) = queries.captured_queries
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plan = " ".join(str(row[3]) for row in cursor.fetchall())
        assert "assignment_status_due" not in plan, plan
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
