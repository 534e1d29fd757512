"""P198: a person's transcript's rows are made in Python
(qualify.web.transcript_rows) with the markup the templates gave, byte for
byte: completion and recording times in the zone, "late", the requirement, the version
(or a dash), method, evidence, score, trainer, "corrected by", the correction's reason,
and each signature's manifestation with its validity and comment; text escaped. The
transcript is read without a join per related record, and a correction the reader may
not see is still named by its number."""

import datetime as dt
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import Person
from qualify.signatures.models import Signature
from qualify.signatures.queries import SignatureCheck
from qualify.training import queries
from qualify.training import services as training
from qualify.training.models import Requirement, TrainingRecord
from qualify.training.queries import TranscriptLine
from tests.training.support import creds
from tests.web.markup import BODY, TABLE, before_and_now
from tests.web.pages_support import plant  # noqa: F401

pytestmark = pytest.mark.requirement("P198")

# The table of web/inspector/transcript.html before its rows were made in Python, with
# web/documents/_signature_checks.html as it is.
BEFORE = """{% load qualify_tags %}<div class="scroll"><table>
  <thead><tr><th scope="col">Completed</th><th scope="col">Training</th><th scope="col">Version</th><th scope="col">Method and evidence</th><th scope="col">Signatures</th></tr></thead>
  <tbody>{% for line in lines %}{% with r=line.record %}
  <tr{% if line.superseded_by %} class="superseded"{% endif %}><td>{{ r.completed_at|in_zone:zone }}<br><small>recorded {{ r.recorded_at|in_zone:zone }}</small>{% if r.late_entry %} <span class="badge warn">late</span>{% endif %}</td>
    <td>{{ r.requirement.code }}<br><small>{{ r.requirement.title }}</small></td>
    <td>{% if r.document_version %}{{ r.document_version.document.number }} rev {{ r.document_version.revision }}{% else %}–{% endif %}</td>
    <td>{{ r.get_method_display }}; {{ r.get_evidence_display }}{% if r.score is not None %} {{ r.score }}/{{ r.pass_mark }}{% endif %}{% if r.trainer %}<br>trainer {{ r.trainer.full_name }}{% endif %}
      {% if line.superseded_by %}<br><span class="badge muted">corrected by record #{{ line.superseded_by.pk }}</span>{% endif %}{% if r.correction_reason %}<br><small>correction: {{ r.correction_reason }}</small>{% endif %}</td>
    <td>{% include "web/documents/_signature_checks.html" with checks=line.signatures %}</td></tr>
  {% endwith %}{% empty %}<tr><td colspan="5">No training records.</td></tr>{% endfor %}</tbody>
</table></div>"""  # noqa: E501, RUF001

AT = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # the night Dublin's clocks go forward


def _both(lines, zone="Europe/Dublin"):
    context = {"lines": lines, "zone": zone}
    return before_and_now(BEFORE, "web/inspector/transcript.html", TABLE, context)


def _signature(pk, comment="", name='Ann <O\'Neil> & "Co"'):
    return Signature(
        pk=pk,
        username="ann&o",
        printed_name=name,
        signed_at=AT + dt.timedelta(seconds=pk),
        meaning="read_and_understood",
        comment=comment,
    )


def _lines():
    document = Document(number="SOP-<14> & 'x'", title="t")
    version = DocumentVersion(document=document, revision="6")
    requirement = Requirement(code="RU-<1>", title='Gowning & "aseptic" <b>')
    trainer = Person(full_name="Tom <Trainer> & Co")
    plain = TrainingRecord(
        pk=7,
        requirement=requirement,
        document_version=version,
        method="read",
        evidence="signature",
        completed_at=AT,
        recorded_at=AT + dt.timedelta(hours=2),
        late_entry=False,
    )
    scored = TrainingRecord(
        pk=8,
        requirement=requirement,
        document_version=None,
        method="classroom",
        evidence="assessment",
        score=Decimal("85.50"),
        pass_mark=Decimal("80"),
        trainer=trainer,
        completed_at=AT + dt.timedelta(days=200),
        recorded_at=AT + dt.timedelta(days=230),
        late_entry=True,
        correction_reason="Typo in the <score> & date",
    )
    zero = TrainingRecord(
        pk=12345,
        requirement=requirement,
        method="elearning",
        evidence="assessment",
        score=Decimal("0"),
        pass_mark=None,
        completed_at=AT,
        recorded_at=AT,
    )
    return [
        TranscriptLine(
            plain,
            TrainingRecord(pk=1234567),
            [
                SignatureCheck(_signature(1), True, "the record is unchanged since it was signed"),
                SignatureCheck(_signature(2, comment='I "read" <it> & more'), False, "changed <x>"),
            ],
        ),
        TranscriptLine(scored, None, []),
        TranscriptLine(zero, None, [SignatureCheck(_signature(3), False, "")]),
    ]


def test_the_rows_are_the_templates_markup_byte_for_byte():
    before, after = _both(_lines())
    assert after == before
    assert after.count("<tr") == 4  # the heading and three rows
    assert "SOP-&lt;14&gt; &amp; &#x27;x&#x27; rev 6" in after
    assert "Gowning &amp; &quot;aseptic&quot; &lt;b&gt;" in after
    assert "trainer Tom &lt;Trainer&gt; &amp; Co" in after
    assert " 85.50/80<br>" in after
    assert " 0/None" in after
    assert "corrected by record #1234567" in after
    assert "correction: Typo in the &lt;score&gt; &amp; date" in after
    assert after.count('badge warn">late') == 1
    assert after.count("No signatures.") == 1
    assert 'title="changed &lt;x&gt;">broken: changed &lt;x&gt;' in after
    assert "“I &quot;read&quot; &lt;it&gt; &amp; more”" in after
    assert "Ann &lt;O&#x27;Neil&gt; &amp; &quot;Co&quot;" in after
    assert "(Europe/Dublin, GMT)" in after
    assert "(Europe/Dublin, IST)" in after


def test_no_rows_say_so_as_before():
    before, after = _both([])
    assert after == before
    assert "No training records." in after


# The table body of web/employee/my_records.html before its rows were made in Python,
# with web/employee/_manifestations.html as it is.
OWN_BEFORE = """{% load qualify_tags %}<tbody>{% for line in lines %}{% with r=line.record %}
  <tr{% if line.superseded_by %} class="superseded"{% endif %}>
    <td><a href="{% url 'web:employee_record' r.pk %}">{{ r.requirement.code }}</a><br><span class="muted">{{ r.requirement.title }}</span>
      {% if line.superseded_by %}<br><span class="badge warn">corrected by record {{ line.superseded_by.pk }}</span>{% endif %}
      {% if r.supersedes_id %}<br><span class="badge">corrects record {{ r.supersedes_id }}: {{ r.correction_reason }}</span>{% endif %}</td>
    <td>{{ r.document_version|default:"—" }}</td>
    <td>{{ r.completed_at|in_zone:zone }}{% if r.late_entry %} <span class="badge warn">late entry</span>{% endif %}</td>
    <td>{{ r.get_method_display }}{% if r.trainer %}<br><span class="muted">trainer {{ r.trainer.full_name }}</span>{% endif %}{% if r.score is not None %}<br>score {{ r.score }} / pass {{ r.pass_mark }}{% endif %}</td>
    <td>{% include "web/employee/_manifestations.html" with checks=line.signatures %}</td>
  </tr>{% endwith %}{% endfor %}</tbody>"""  # noqa: E501


def test_an_employees_rows_are_the_templates_markup_byte_for_byte():
    lines = _lines()
    lines[1].record.supersedes_id = 7
    context = {"lines": lines, "zone": "America/New_York"}
    before, after = before_and_now(OWN_BEFORE, "web/employee/my_records.html", BODY, context)
    assert after == before
    assert after.count("<tr") == 3
    assert 'href="/employee/records/12345/"' in after
    assert "corrected by record 1234567" in after
    assert "corrects record 7: Typo in the &lt;score&gt; &amp; date" in after
    assert "SOP-&lt;14&gt; &amp; &#x27;x&#x27; rev 6" in after
    assert after.count("\u2014") == 2  # no version on two records
    assert "score 85.50 / pass 80" in after
    assert "score 0 / pass None" in after
    assert "trainer Tom &lt;Trainer&gt; &amp; Co" in after
    assert after.count("late entry") == 1
    assert after.count("No signature.") == 1
    assert "broken: changed &lt;x&gt;" in after
    assert "(America/New_York, EDT)" in after


def _corrected(a_plant, reason="Wrong terminal", *, second=False):
    """Olivia read SOP-1 (and SOP-2 with `second`), then corrected her SOP-1 record:
    (person, the record corrected, the correction, the SOP-2 record or None)."""
    person = a_plant.person("Olivia", job_function=a_plant.operators)
    first = a_plant.read(person, a_plant.requirement("RU-1", document=a_plant.document("SOP-1")))
    other = (
        a_plant.read(person, a_plant.requirement("RU-2", document=a_plant.document("SOP-2")))
        if second
        else None
    )
    correction = training.record_correct(
        actor=person.user,
        record=first,
        reason=reason,
        credentials=creds(person.user),
        notes="Read at the line terminal",
    )
    return person, first, correction, other


def _statements(client, url) -> int:
    with CaptureQueriesContext(connection) as read:
        assert client.get(url).status_code == 200
    return len(read.captured_queries)


@pytest.mark.django_db
@pytest.mark.requirement("R1", "S1")
def test_the_transcript_names_a_correction_in_one_read_of_the_records(
    client,
    auditor,
    plant,  # noqa: F811
):
    """Corrected records show their correction's number; the records, their
    corrections and their signatures are read in a fixed number of statements,
    however many records the person has."""
    person, first, correction, _ = _corrected(plant, "Wrong <terminal>", second=True)
    client.force_login(auditor)
    url = reverse("web:inspector_transcript", args=[person.pk])
    client.get(url)
    page = client.get(url)
    assert f"corrected by record #{correction.pk}".encode() in page.content
    assert b"correction: Wrong &lt;terminal&gt;" in page.content
    lines = page.context["lines"]
    assert [line.record.pk for line in lines if line.superseded_by] == [first.pk]
    assert all(line.record.person == person for line in lines)
    assert all(line.signatures and line.signatures[0].valid for line in lines)
    # The procedure's text is not read for a transcript line.
    assert "content_text" in lines[0].record.document_version.get_deferred_fields()
    three = _statements(client, url)
    plant.read(person, plant.requirement("RU-3", document=plant.document("SOP-3")))
    client.get(url)  # what the page remembers between requests is read again after a write
    assert _statements(client, url) == three


@pytest.mark.django_db
@pytest.mark.requirement("R1")
def test_a_correction_the_reader_may_not_see_is_named_by_its_number(plant):  # noqa: F811
    person, first, correction, _ = _corrected(plant)
    with patch.object(
        queries, "training_records", lambda user: TrainingRecord.objects.filter(pk=first.pk)
    ):
        [line] = queries.person_transcript(person, user=plant.coordinator)
    assert line.record == first
    assert line.superseded_by.pk == correction.pk


@pytest.mark.django_db
@pytest.mark.requirement("R1", "P15")
def test_an_employees_record_page_reads_that_record_alone(client, plant):  # noqa: F811
    person, first, correction, _ = _corrected(plant)
    client.force_login(person.user)
    url = reverse("web:employee_record", args=[first.pk])
    page = client.get(url)
    assert page.context["line"].record == first
    assert page.context["line"].superseded_by.pk == correction.pk
    assert f"record {correction.pk}</a>".encode() in page.content
    assert page.context["line"].signatures[0].valid
    client.get(url)
    before = _statements(client, url)
    plant.read(person, plant.requirement("RU-2", document=plant.document("SOP-2")))
    client.get(url)
    assert _statements(client, url) == before
    other = plant.read(
        plant.person("Omar"), plant.requirement("RU-3", document=plant.document("SOP-3"))
    )
    assert client.get(reverse("web:employee_record", args=[other.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.requirement("R1")
def test_a_records_page_shows_its_correction_chain_and_no_other_record(client, plant):  # noqa: F811
    _, first, correction, other = _corrected(plant, second=True)
    client.force_login(plant.coordinator)
    for shown in (first, correction):
        page = client.get(reverse("web:coordinator_record", args=[shown.pk]))
        chain = page.context["chain"]
        assert [line.record.pk for line in chain] == [first.pk, correction.pk]
        assert chain[0].superseded_by.pk == correction.pk
        assert chain[1].superseded_by is None
        assert f"Record {other.pk}".encode() not in page.content
