"""P190: the documents list's rows are made in Python
(qualify.web.documents.document_rows) with the markup the template gave, byte for
byte: the number linked, the title, "obsolete", the type, the client (or "in-house"),
the revision in force with its time in the zone (or "none") and the revision worked on
linked with its status; text escaped."""

import pytest
from django.utils import timezone

from qualify.documents.models import Document, VersionStatus
from qualify.documents.queries import document_list_page
from qualify.org.models import Client
from tests.training.engine_history import History
from tests.web.markup import TABLE, before_and_now

pytestmark = [pytest.mark.requirement("P190"), pytest.mark.django_db]

# The table of web/documents/list.html before its rows were made in Python.
BEFORE = """{% load qualify_tags %}<div class="scroll"><table>
  <caption class="sr-only">Documents and the version in force now</caption>
  <thead><tr><th scope="col">Document</th><th scope="col">Type</th><th scope="col">Client</th><th scope="col">In force now</th><th scope="col">In progress</th></tr></thead>
  <tbody>
  {% for row in rows %}{% with d=row.document %}
  <tr>
    <td><a href="{% url 'web:document' d.number %}">{{ d.number }}</a> {{ d.title }}{% if d.obsolete_from %} <span class="badge bad">obsolete</span>{% endif %}</td>
    <td>{{ d.get_doc_type_display }}</td>
    <td>{{ d.client|default:"in-house" }}</td>
    <td>{% if row.effective %}rev {{ row.effective.revision }} <span class="badge good">Effective</span> since {{ row.effective.effective_from|in_zone:zone }}{% else %}<span class="badge warn">none</span>{% endif %}</td>
    <td>{% if row.pending %}<a href="{% url 'web:document_version' row.pending.pk %}">rev {{ row.pending.revision }}</a> <span class="badge warn">{{ row.pending.get_status_display }}</span>{% endif %}</td>
  </tr>{% endwith %}
  {% empty %}<tr><td colspan="5">No documents.</td></tr>{% endfor %}
  </tbody>
</table></div>"""  # noqa: E501


def _both(rows, zone="Europe/Dublin"):
    # The table as list.html has it now, cut from the file the page renders.
    return before_and_now(BEFORE, "web/documents/list.html", TABLE, {"rows": rows, "zone": zone})


def test_the_rows_are_the_templates_markup_byte_for_byte(qa):
    h = History()
    h.document("SOP-<1> & \"x\" 'y'", versions=((-30, True), (400, True, None, "draft")))
    h.document("SOP 2#?%Ü", versions=((-10, True), (-5, False)))
    h.document("WI-3", versions=((5, True, None, VersionStatus.IN_REVIEW),))
    h.document("POL-4", obsolete_from=timezone.now())
    client = Client.objects.create(code="ACME", name="Acme <Pharma> & Co")
    Document.objects.filter(number="WI-3").update(client=client, title="Clean <b>line</b>")
    _, rows = document_list_page(qa, at=timezone.now())
    assert len(rows) == 4
    before, after = _both(rows)
    assert after == before
    assert after.count("<tr>") == 5  # the heading and four rows
    assert "SOP-&lt;1&gt; &amp; &quot;x&quot; &#x27;y&#x27;" in after
    assert 'href="/documents/SOP%202%23%3F%25%C3%9C/"' in after
    assert "Acme &lt;Pharma&gt; &amp; Co" in after
    assert "Clean &lt;b&gt;line&lt;/b&gt;" in after
    assert after.count("obsolete") == 1
    assert after.count("in-house") == 3
    assert "In review" in after
    assert "Draft" in after
    assert after.count('badge warn">none') == 1  # WI-3: only in review


def test_no_rows_say_so_as_before():
    before, after = _both([])
    assert after == before
    assert "No documents." in after
