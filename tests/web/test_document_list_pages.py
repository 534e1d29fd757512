"""The documents list at scale (issue 18, P163): 50 documents a page in number order,
searched by number or title and filtered by type, the version in force and the one in
progress read for that page only, in queries that do not grow with the documents."""

import pytest
from django.urls import reverse

from qualify.documents.models import Document, DocumentVersion, VersionStatus
from tests.training.engine_history import History
from tests.web.query_counts import fewest_queries

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P163")]
# The session, the navigation, the count, the page, its versions and the access log
# (19 when written).
QUERIES_OF_THE_PAGE = 24


def numbers(page) -> list[str]:
    text = page.content.decode()
    return [cell.split('">')[1].split("<")[0] for cell in text.split('<td><a href="')[1:]]


def add(h, total, doc_type="sop"):
    while Document.objects.count() < total:
        document = h.document()
        if doc_type != "sop":
            Document.objects.filter(pk=document.pk).update(doc_type=doc_type)


def test_fifty_documents_a_page_in_number_order(client, doc_controller):
    h = History()
    add(h, 60)
    client.force_login(doc_controller)
    first = client.get(reverse("web:documents"))
    second = client.get(reverse("web:documents"), {"page": "2"})
    everything = list(Document.objects.order_by("number").values_list("number", flat=True))
    assert numbers(first) == everything[:50]
    assert numbers(second) == everything[50:]
    assert "Page 1 of 2 (60 rows)" in first.content.decode()
    assert "rev 1" in first.content.decode()  # the version in force is still shown


def test_search_and_type_filter_narrow_the_list_and_the_pager_keeps_them(client, doc_controller):
    h = History()
    add(h, 55)
    add(h, 57, doc_type="form")
    forms = list(Document.objects.filter(doc_type="form").values_list("number", flat=True))
    client.force_login(doc_controller)
    assert numbers(client.get(reverse("web:documents"), {"type": "form"})) == sorted(forms)
    assert numbers(client.get(reverse("web:documents"), {"q": forms[0]})) == [forms[0]]
    page = client.get(reverse("web:documents"), {"q": "SOP-", "type": "sop"}).content.decode()
    assert "q=SOP-&amp;type=sop&amp;page=2" in page
    # An unknown type filters nothing rather than emptying the list.
    assert len(numbers(client.get(reverse("web:documents"), {"type": "nonsense"}))) == 50


def test_the_page_asks_the_same_queries_for_three_documents_as_for_ninety(client, doc_controller):
    h = History()
    client.force_login(doc_controller)
    client.get(reverse("web:documents"))  # the session's first reads
    asked = []
    for total in (3, 90):
        add(h, total)
        page, queries = fewest_queries(client, reverse("web:documents"))
        assert len(numbers(page)) == min(total, 50)
        asked.append(queries)
    assert asked[0] == asked[1] <= QUERIES_OF_THE_PAGE


def test_a_row_shows_the_version_in_force_and_the_one_worked_on_not_those_superseded(
    client, doc_controller
):
    h = History()
    document = h.document(versions=((0, True), (10, True), (20, True, None, VersionStatus.DRAFT)))
    DocumentVersion.objects.filter(document=document, sequence=1).update(
        effective_to=h.version(document, 2).effective_from
    )
    client.force_login(doc_controller)
    page = client.get(reverse("web:documents")).content.decode()
    row = page.split(f">{document.number}</a>")[1].split("</tr>")[0]
    assert 'rev 2 <span class="badge good">Effective</span>' in row
    assert (
        f'href="{reverse("web:document_version", args=[h.version(document, 3).pk])}">rev 3' in row
    )
    assert "rev 1" not in row
