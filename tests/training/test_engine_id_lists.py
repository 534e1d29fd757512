"""Issue 18 (P137): on SQLite the engine hands a list of ids or (person, requirement)
pairs to its statements as one JSON text read by json_each, not as one parameter per
value: the same statement whatever the number, and the same rows as before."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualify.training import engine
from qualify.training.engine import sql
from qualify.training.models import TrainingRecord

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P137", "Q4")]


def test_a_list_of_any_length_is_one_parameter_on_sqlite():
    one, _ = sql._pairs([(1, 2)], False, object_type="x")
    many, many_params = sql._pairs([(k, k + 1) for k in range(1500)], False, object_type="x")
    assert one == many  # one statement text, found in the sqlite3 module's cache
    assert sorted(many_params) == ["object_type", "pairs"]
    assert json.loads(many_params["pairs"])[1499] == [1499, 1500]
    where, params = sql._ids([5, 6, None], False)
    assert where == sql._ids(list(range(3000)), False)[0]
    assert json.loads(params["ids"]) == [5, 6, None]


def test_the_records_of_exactly_the_pairs_asked_are_read(plant):
    sop = plant.requirement("SOP-040-RU", document=plant.document("SOP-040"))
    other = plant.requirement("SOP-041-RU", document=plant.document("SOP-041"))
    plant.matrix(sop)
    plant.matrix(other)
    people = [plant.person(f"Op{i}", job_function=plant.operators) for i in range(4)]
    for person in people:
        plant.read(person, sop)
        plant.read(person, other)
    # Two of the people on one requirement, one on the other, one pair twice.
    pairs = [(people[0].pk, sop.pk), (people[1].pk, sop.pk), (people[2].pk, other.pk)]
    rows = sql.Reader(TrainingRecord).records([*pairs, pairs[0]])
    assert sorted({(r[0][1], r[0][2]) for r in rows}) == sorted(pairs)
    with CaptureQueriesContext(connection) as queries:
        answers = engine.qualified_at_instants(pairs, [timezone.now()])
    assert answers == [(True,), (True,), (True,)]
    assert len(queries) <= 6  # requirements, documents, users, records: not per pair
