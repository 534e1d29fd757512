"""The coordinator's training requirements list at scale (issue 18, P165): 50
requirements a page in code order (it showed the first 500 and said nothing of the
rest), the search kept by the pager, only the page's requirements in the access log,
and queries that do not grow with the requirements."""

import pytest
from django.urls import reverse

from qualify.audit.models import AccessEvent
from qualify.training.models import Requirement
from tests.training.engine_history import History
from tests.web.query_counts import fewest_queries

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P165")]
# The session, the navigation, the count, the page and the access log (17 when written).
QUERIES_OF_THE_PAGE = 22


def codes(response) -> list[str]:
    text = response.content.decode()
    body = text[text.index("<tbody>") : text.index("</tbody>")]
    return [row.split("<td>")[1].split("<")[0].split(" ")[0] for row in body.split("<tr>")[1:]]


def add(h, total):
    while Requirement.objects.count() < total:
        h.requirement()


def test_fifty_requirements_a_page_and_every_one_on_some_page(client, coordinator):
    h = History()
    add(h, 80)
    client.force_login(coordinator)
    first = client.get(reverse("web:coordinator_requirements"))
    second = client.get(reverse("web:coordinator_requirements"), {"page": "2"})
    everything = list(Requirement.objects.order_by("code").values_list("code", flat=True))
    assert codes(first) + codes(second) == everything
    assert len(codes(first)) == 50
    assert "Page 1 of 2 (80 rows)" in first.content.decode()
    assert AccessEvent.objects.filter(entry__contains='"view":"list"').count() == 80


def test_the_search_is_kept_by_the_pager(client, coordinator):
    h = History()
    add(h, 70)
    client.force_login(coordinator)
    page = client.get(reverse("web:coordinator_requirements"), {"q": "R0"})
    assert "q=R0&amp;page=2" in page.content.decode()
    wanted = Requirement.objects.order_by("code").last().code
    assert codes(client.get(reverse("web:coordinator_requirements"), {"q": wanted})) == [wanted]


def test_the_page_asks_the_same_queries_for_few_requirements_as_for_many(client, coordinator):
    h = History()
    client.force_login(coordinator)
    client.get(reverse("web:coordinator_requirements"))  # the session's first reads
    asked = []
    for total in (3, 90):
        add(h, total)
        page, queries = fewest_queries(client, reverse("web:coordinator_requirements"))
        assert len(codes(page)) == min(total, 50)
        asked.append(queries)
    assert asked[0] == asked[1] <= QUERIES_OF_THE_PAGE
