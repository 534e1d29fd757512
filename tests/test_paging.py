"""P188: a long joined list is paged by its keys first, with the plain Paginator's
answer row for row, and its order sorted without the rows' other columns."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from qualify.org.models import Person, Site
from qualify.paging import KeysFirstPaginator

pytestmark = [pytest.mark.requirement("P188"), pytest.mark.django_db]

NAMES = ("Ada", "Bea", "Bea", "Cy", "Ada", "Dee", "Bea")


@pytest.fixture
def people():
    site = Site.objects.create(code="PG", name="Paging")
    # Names repeat, so the order's last key (pk) decides between equal names.
    for n in range(23):
        Person.objects.create(
            employee_number=f"P{n:03}", full_name=NAMES[n % len(NAMES)], site=site
        )
    return Person.objects.select_related("site").filter(site=site)


@pytest.mark.parametrize("orphans", [0, 2])
@pytest.mark.parametrize("order", [("full_name", "pk"), ("-full_name", "-pk")])
def test_every_page_is_the_plain_paginators_page(people, orphans, order):
    rows = people.order_by(*order)
    plain = Paginator(rows, 5, orphans=orphans)
    keyed = KeysFirstPaginator(rows, 5, orphans=orphans)
    assert (keyed.count, keyed.num_pages) == (plain.count, plain.num_pages)
    for number in [*plain.page_range, "last", 0, "x", 999]:
        expected, got = plain.get_page(number), keyed.get_page(number)
        assert [p.pk for p in got] == [p.pk for p in expected]
        assert (got.number, got.has_next(), got.start_index()) == (
            expected.number,
            expected.has_next(),
            expected.start_index(),
        )
        # The rows come with the list's joins: no query per row for its site.
        with CaptureQueriesContext(connection) as reads:
            assert {p.site.code for p in got} == {"PG"}
        assert len(reads) == 0


def test_a_page_is_its_count_its_keys_and_its_rows(people):
    keyed = KeysFirstPaginator(people.order_by("full_name", "pk"), 5)
    with CaptureQueriesContext(connection) as reads:
        keyed.get_page(2)
    count, keys, rows = (q["sql"] for q in reads.captured_queries)
    assert "COUNT(" in count
    # The sort sees the key and the order's column, not the rows' other columns.
    assert '"org_person"."email"' not in keys
    assert '"org_site"' not in keys.split("FROM")[0]
    assert "LIMIT 5" in keys
    assert '"org_person"."email"' in rows
    assert "ORDER BY" not in rows
    # Read by key alone: the list's filter is not walked again for the page's rows.
    assert '"org_person"."site_id" =' not in rows.split("WHERE")[1]


def test_a_list_with_annotations_is_refused(people):
    # Its rows are read again by key, without what the list computed per row.
    with pytest.raises(TypeError):
        KeysFirstPaginator(people.annotate(n=Count("pk")).order_by("pk"), 5)


def test_an_empty_list_is_one_empty_page(people):
    page = KeysFirstPaginator(people.none().order_by("pk"), 5).get_page(1)
    assert list(page) == []
    assert page.paginator.count == 0


def test_a_list_without_an_order_is_refused(people):
    # Without an order the pages of the two reads could disagree.
    with pytest.raises(TypeError):
        KeysFirstPaginator(people.order_by(), 5)
