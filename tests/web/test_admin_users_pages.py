"""The administrator's users list at scale (issue 18, P164): 50 accounts a page in
user id order (it showed the first 500 and said nothing of the rest), the search, the
status filter and the live search's fragment keep the pager, and the queries do not
grow with the accounts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualify.accounts.models import User
from tests.web.query_counts import fewest_queries

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P164")]
# The session, the navigation, the count, the page and its roles and clients
# (16 when written).
QUERIES_OF_THE_PAGE = 21


def usernames(response) -> list[str]:
    text = response.content.decode()
    return [cell.split('">')[1].split("<")[0] for cell in text.split('<td><a href="')[1:]]


def add(total):
    while User.objects.count() < total:
        n = User.objects.count()
        User.objects.create(username=f"op{n:03}", printed_name=f"Operator {n}")


def test_fifty_accounts_a_page_in_user_id_order_and_every_one_on_some_page(client, admin):
    add(75)
    client.force_login(admin)
    first = client.get(reverse("web:admin_users"))
    second = client.get(reverse("web:admin_users"), {"page": "2"})
    everyone = list(User.objects.order_by("username").values_list("username", flat=True))
    assert usernames(first) + usernames(second) == everyone
    assert len(usernames(first)) == 50
    assert "Page 1 of 2 (75 rows)" in first.content.decode()


def test_the_search_and_its_fragment_keep_the_pager(client, admin):
    add(130)
    client.force_login(admin)
    fragment = client.get(reverse("web:admin_users"), {"q": "op"}, headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert text.startswith('<table class="list" id="users-table">')
    assert "q=op&amp;page=2" in text
    assert len(usernames(fragment)) == 50
    assert usernames(client.get(reverse("web:admin_users"), {"q": "op129"})) == ["op129"]


def test_the_page_asks_the_same_queries_for_few_accounts_as_for_many(client, admin):
    client.force_login(admin)
    client.get(reverse("web:admin_users"))  # the session's first reads
    asked = []
    for total in (5, 90):
        add(total)
        page, queries = fewest_queries(client, reverse("web:admin_users"))
        assert len(usernames(page)) == min(total, 50)
        asked.append(queries)
    assert asked[0] == asked[1] <= QUERIES_OF_THE_PAGE


@pytest.mark.requirement("P151")
def test_an_accounts_page_reads_its_roles_once(client, admin, employee):
    """Issue 18: the account's role names come from the groups read with it."""
    client.force_login(admin)
    client.get(reverse("web:admin_user", args=[employee.pk]))  # the session's first reads
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("web:admin_user", args=[employee.pk]))
    assert page.status_code == 200
    of_the_account = re.compile(rf'"user_id" (= |IN \(){employee.pk}\b')
    read_groups = [
        q["sql"]
        for q in queries.captured_queries
        if '"auth_group"' in q["sql"] and of_the_account.search(q["sql"])
    ]
    assert len(read_groups) == 1
