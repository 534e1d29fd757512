"""A text or Markdown version is shown formatted, and markup typed into it is shown as
text: a version's content never runs in a reader's browser."""

import pytest
from django.urls import reverse

from qualify.web.markdown import render
from tests.web.pages_support import plant  # noqa: F401

SOURCE = (
    "# Line clearance\n\n1. Remove every **label**.\n\n"
    "<script>alert(1)</script>\n\n[report](javascript:alert(2)) [site](https://example.org)\n"
)


@pytest.mark.requirement("P19")
def test_markdown_is_formatted_and_markup_is_escaped():
    html = render(SOURCE)
    assert "<h1>Line clearance</h1>" in html
    assert "<strong>label</strong>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert '<a href="https://example.org">site</a>' in html


@pytest.mark.requirement("P19")
def test_the_version_page_shows_the_text_formatted_and_inert(client, doc_controller, plant):  # noqa: F811
    from qualify.documents import services as documents

    version = documents.version_draft(
        actor=doc_controller,
        document=plant.document("SOP-030"),
        revision="2",
        change_summary="c",
        content_text=SOURCE,
    )
    client.force_login(doc_controller)
    page = client.get(reverse("web:document_version", args=[version.pk])).content.decode()
    assert "<h1>Line clearance</h1>" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
