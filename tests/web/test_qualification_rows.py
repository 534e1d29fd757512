"""P199: an employee's qualifications' rows are made in Python
(qualify.web.employee.qualification_rows) with the markup the template gave, byte for
byte: the requirement, the state (qualified, in grace until a date, not qualified),
the evidence record with its time in the zone, version and signatures, the reasons,
and why the training is required; text escaped."""

import datetime as dt

import pytest

from qualify.documents.models import Document, DocumentVersion
from qualify.training.engine.answers import (
    Reason,
    RequiredBecause,
    RequirementAnswer,
    SignatureStatus,
)
from qualify.training.models import Requirement, TrainingRecord
from qualify.web.employee.queries import QualificationLine
from tests.web.markup import BODY, before_and_now
from tests.web.test_transcript_rows import AT, _signature

pytestmark = pytest.mark.requirement("P199")

# The table body of web/employee/my_qualifications.html before its rows were made in
# Python.
BEFORE = """{% load qualify_tags %}<tbody>{% for line in lines %}
  <tr>
    <td>{{ line.requirement.code }}<br><span class="muted">{{ line.requirement.title }}</span></td>
    <td>{% if line.answer.in_grace %}<span class="badge warn">qualified (in grace)</span>{% if line.answer.grace_ends %} until {{ line.answer.grace_ends|date:"Y-m-d" }}{% endif %}{% elif line.answer.qualified %}<span class="badge good">qualified</span>{% else %}<span class="badge bad">not qualified</span>{% endif %}</td>
    <td>{% if line.answer.record %}Record {{ line.answer.record.pk }}, {{ line.answer.record.completed_at|in_zone:zone }}{% if line.answer.version %} on {{ line.answer.version }}{% endif %}
        {% for s in line.answer.signatures %}<br><span class="manifestation">{{ s.signature.manifestation }}{% if not s.valid %} (broken){% endif %}</span>{% endfor %}{% endif %}
        {% for reason in line.answer.reasons %}<br><span class="reason">{{ reason.label }}</span>{% endfor %}</td>
    <td>{% for why in line.why %}{{ why.kind }}{% if why.detail %} ({{ why.detail }}){% endif %}{% if not forloop.last %}; {% endif %}{% endfor %}</td>
  </tr>{% endfor %}</tbody>"""  # noqa: E501


def _both(lines, zone="Asia/Kolkata"):
    context = {"lines": lines, "zone": zone}
    return before_and_now(BEFORE, "web/employee/my_qualifications.html", BODY, context)


def _lines():
    version = DocumentVersion(document=Document(number="SOP-<9>", title="t"), revision="2&3")
    requirement = Requirement(code="RU-<9>", title='Line "clearance" & <i>')
    record = TrainingRecord(pk=4321, completed_at=AT)

    def answer(qualified, **fields):
        return RequirementAnswer(None, requirement, AT, None, qualified, **fields)

    matrix = RequiredBecause("matrix", job_function_id=1, detail="Operator <B> & co")
    assigned = RequiredBecause("assignment", assignment_id=2)
    return [
        QualificationLine(
            requirement,
            answer(
                True,
                record=record,
                version=version,
                signatures=(
                    SignatureStatus("trainee", _signature(1), True),
                    SignatureStatus("trainer", _signature(2), False),
                ),
            ),
            [matrix, assigned],
        ),
        QualificationLine(
            requirement,
            answer(
                True,
                record=record,
                in_grace=True,
                grace_ends=dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC),
            ),
            [assigned],
        ),
        QualificationLine(requirement, answer(True, in_grace=True), []),
        QualificationLine(
            requirement,
            answer(False, reasons=(Reason.EXPIRED, Reason.NEVER_TRAINED)),
            [matrix],
        ),
    ]


def test_the_rows_are_the_templates_markup_byte_for_byte():
    before, after = _both(_lines())
    assert after == before
    assert after.count("<tr>") == 4
    assert after.count('badge good">qualified<') == 1
    assert "qualified (in grace)</span> until 2026-12-31" in after
    assert after.count("qualified (in grace)") == 2
    assert after.count("not qualified") == 1
    assert "Record 4321, 2026-03-29 06:00 (Asia/Kolkata, IST) on SOP-&lt;9&gt; rev 2&amp;3" in after
    assert after.count("(broken)") == 1
    assert "Line &quot;clearance&quot; &amp; &lt;i&gt;" in after
    assert "matrix (Operator &lt;B&gt; &amp; co); assignment" in after
    assert '<span class="reason">' in after


def test_no_rows_as_before():
    before, after = _both([])
    assert after == before
