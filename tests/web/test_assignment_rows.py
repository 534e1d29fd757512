"""P185: an assignments table's rows are made in Python
(qualify.web.coordinator.assignment_rows) with the markup the template gave, byte for
byte: the person, the requirement linked, the revision when there is one, why (the
text, else the reason's name), the due time in the zone, the status and "overdue" for
an open assignment past its due time; text escaped."""

import datetime as dt

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone

from qualify.training.models import Assignment, AssignmentReason, AssignmentStatus
from tests.training.engine_history import History

pytestmark = [pytest.mark.requirement("P185"), pytest.mark.django_db]

# The table as web/coordinator/_assignment_table.html was before its rows were made
# in Python.
TEMPLATE = """{% load qualify_tags %}<div class="scroll"><table>
  <thead><tr><th scope="col">Person</th><th scope="col">Requirement</th><th scope="col">Why</th><th scope="col">Due</th><th scope="col">Status</th></tr></thead>
  <tbody>{% for a in rows %}
  <tr><td>{{ a.person.full_name }} <small>{{ a.person.employee_number }}</small></td><td><a href="{% url 'web:coordinator_assignment' a.pk %}">{{ a.requirement.code }}</a>{% if a.document_version %} <small>rev {{ a.document_version.revision }}</small>{% endif %}</td><td>{{ a.reason_text|default:a.get_reason_display }}</td>
    <td>{{ a.due_at|in_zone:zone }}</td>
    <td>{{ a.get_status_display }}{% if a.status == "open" and a.due_at < now %} <span class="badge bad">overdue</span>{% endif %}</td></tr>
  {% empty %}<tr><td colspan="5">No assignments.</td></tr>{% endfor %}</tbody>
</table></div>
"""  # noqa: E501


def _both(rows, zone="Europe/Dublin", now=None):
    context = {"rows": rows, "zone": zone, "now": now or timezone.now()}
    before = engines["django"].from_string(TEMPLATE).render(context)
    after = render_to_string("web/coordinator/_assignment_table.html", context)
    return before, after


def test_the_rows_are_the_templates_markup_byte_for_byte():
    h = History()
    person = h.person('Ann <O\'Neil> & "Co"')
    document = h.document()
    now = timezone.now()
    late = h.assign(person, h.requirement(document=document), due=now - dt.timedelta(days=1))
    Assignment.objects.filter(pk=late.pk).update(
        document_version=h.version(document, 1), reason_text="Revision <2> & more"
    )
    h.assign(person, h.requirement(), due=now + dt.timedelta(days=3))
    h.assign(
        person,
        h.requirement(),
        due=now - dt.timedelta(days=9),
        status=AssignmentStatus.COMPLETED,
        reason=AssignmentReason.QUALITY_EVENT,
        closed=now,
    )
    rows = Assignment.objects.select_related("person", "requirement", "document_version")
    before, after = _both(list(rows.order_by("pk")), now=now)
    assert after == before
    assert after.count("<tr>") == 4  # the heading and three rows
    assert after.count("overdue") == 1
    assert "Ann &lt;O&#x27;Neil&gt; &amp; &quot;Co&quot;" in after
    assert " <small>rev 1</small>" in after
    assert "Revision &lt;2&gt; &amp; more" in after
    assert "Quality event" in after
    assert "Assigned by a coordinator" in after


def test_no_rows_say_so_as_before():
    before, after = _both([])
    assert after == before
    assert "No assignments." in after


@pytest.mark.requirement("P213")
def test_a_list_of_assignments_reads_no_versions_text_and_only_what_it_shows(
    plant, coordinator, client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from qualify.training import queries as training_queries

    olivia = plant.person("Olivia", job_function=plant.operators)
    document = plant.document("SOP-014")
    requirement = plant.requirement("RU-SOP-014", document=document)
    plant.matrix(requirement)
    plant.read(olivia, requirement)
    plant.revise(document, "2", exception="Test: retraining at once")  # names revision 2
    with CaptureQueriesContext(connection) as read:
        rows = list(training_queries.assignments(user=coordinator))
    named = [row for row in rows if row.document_version is not None]
    assert [row.document_version.revision for row in named] == ["2"]
    assert not any("content_text" in q["sql"] for q in read)
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as page:
        html = client.get(reverse("web:coordinator_assignments")).content.decode()
    assert "<small>rev 2</small>" in html
    assert not any("content_text" in q["sql"] for q in page)
    # The page reads what its rows show: not the requirement's title nor the
    # assignment's author, which the table does not show.
    rows_read = [q["sql"] for q in page if '"training_assignment"."reason_text"' in q["sql"]]
    assert rows_read
    assert not any('"training_requirement"."title"' in sql for sql in rows_read)
    assert not any('"training_assignment"."created_by_id"' in sql for sql in rows_read)
