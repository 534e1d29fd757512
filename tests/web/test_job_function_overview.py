"""The coordinator's job functions page at scale (issue 18, P162): holders now and
requirements in force are counted per job function, the same numbers as reading each
function's assignments and matrix entries one by one, in queries that do not grow
with the functions."""

import pytest
from django.urls import reverse

from qualify.org.models import JobAssignment, JobFunction
from qualify.training.models import MatrixEntry
from qualify.web.coordinator.queries import job_function_overview
from tests.training.engine_history import History, day
from tests.web.query_counts import fewest_queries

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P162")]
# The session, the navigation and the page's two reads (16 when written).
QUERIES_OF_THE_PAGE = 20


def one_by_one(function, at):
    """Holders: assignments in force at `at` of active people; entries: matrix
    entries in force at `at` (each row read in Python)."""

    def in_force(row):
        return row.valid_from <= at and (row.valid_to is None or row.valid_to > at)

    holders = [
        a
        for a in JobAssignment.objects.filter(job_function=function).select_related("person")
        if in_force(a) and a.person.active
    ]
    entries = [e for e in MatrixEntry.objects.filter(job_function=function) if in_force(e)]
    return len(holders), len(entries)


def plant(h, functions):
    """Each function: people starting, ending, in the future and inactive, and matrix
    entries current, ended and future, in different numbers per function."""
    for n in range(functions):
        function = h.function()
        for _k in range(n + 1):
            h.job(h.person(), function, start=day(-10))
        h.job(h.person(), function, start=day(-10), end=day(-1))
        h.job(h.person(), function, start=day(5))
        gone = h.person()
        gone.active = False
        gone.save(update_fields=["active"])
        h.job(gone, function, start=day(-10))
        for _k in range(n % 3 + 1):
            h.matrix(function, h.requirement(), start=day(-20))
        h.matrix(function, h.requirement(), start=day(-20), end=day(-2))
        h.matrix(function, h.requirement(), start=day(3))


def test_the_counts_are_those_of_each_function_read_one_by_one(coordinator):
    h = History()
    plant(h, 4)
    at = day(0)
    rows = {jf.pk: (jf.holders, jf.entries) for jf in job_function_overview(coordinator, at=at)}
    assert rows == {jf.pk: one_by_one(jf, at) for jf in JobFunction.objects.all()}
    assert sorted(rows.values()) == [(1, 1), (2, 2), (3, 3), (4, 1)]


def test_the_page_asks_the_same_queries_for_two_functions_as_for_twelve(client, coordinator):
    h = History()
    client.force_login(coordinator)
    client.get(reverse("web:coordinator_job_functions"))  # the session's first reads
    asked = []
    for total in (2, 12):
        plant(h, total - JobFunction.objects.count())
        page, queries = fewest_queries(client, reverse("web:coordinator_job_functions"))
        assert page.status_code == 200
        assert page.content.decode().count("<tr><td>") == total
        asked.append(queries)
    assert asked[0] == asked[1] <= QUERIES_OF_THE_PAGE
