"""`qualify validate` and its pack (P60, P62): all sections, a PAdES signature that
validates, PASS or FAIL on page 1. OQ runs a small sample selection (oq_samples/) so
each pack takes seconds; PQ is left out here (tests/validation/test_pq.py runs the
scenarios, CI runs the whole command with PQ on a copy of the demo plant)."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from qualify.audit.immutability import trigger_statements
from qualify.reports import signing
from qualify.signatures.services import signatures_of
from qualify.validation import pack
from qualify.validation.models import RunOutcome, ValidationRun
from tests.reports.pdftext import pdf_text
from tests.validation.conftest import SAMPLES

pytestmark = pytest.mark.django_db


def validate(out, *tests, **options):
    """Run the command; its exit status (0 when it returned normally)."""
    if tests:
        options["oq_tests"] = [str(SAMPLES / t) for t in tests]
    stdout = io.StringIO()
    try:
        call_command("validate", out=str(out), no_pq=True, stdout=stdout, **options)
    except SystemExit as exc:
        results = out / "results.json"
        deviations = json.loads(results.read_text())["deviations"] if results.is_file() else []
        return exc.code, stdout.getvalue() + "\n".join(deviations)
    return 0, stdout.getvalue()


def pages(out) -> list[str]:
    return pdf_text((out / "validation-pack.pdf").read_bytes()).split("\f")


def signature_status(out):
    cert = load_cert_from_pemder(str(signing.ensure_certificate()[1]))
    data = (out / "validation-pack.pdf").read_bytes()
    embedded = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
    return validate_pdf_signature(embedded, ValidationContext(trust_roots=[cert]))


@pytest.mark.requirement("P60", "P62")
def test_a_passing_run_gives_a_signed_pack_with_every_section_and_pass_on_page_one(
    production, tmp_path
):
    """Steps: validate with a passing sample selection; the command exits 0; the
    directory holds results.json and a file per section; the PDF's signature
    validates; page 1 says PASS; the OQ evidence renders each test's docstring and the
    property test's examples; the run is recorded as PASS."""
    out = tmp_path / "pack"
    code, said = validate(out, "sample_passing.py")
    assert code == 0, said
    for name in (
        "results.json",
        "summary.md",
        "urs.md",
        "functional-specification.md",
        "iq.md",
        "traceability.md",
        "oq-evidence.md",
        "pq.md",
        "validation-pack.pdf",
    ):
        assert (out / name).is_file(), name
    status = signature_status(out)
    assert status.intact
    assert status.valid
    assert status.coverage.name == "ENTIRE_FILE"
    text = pages(out)
    assert "VALIDATION PASS" in text[0]
    assert "FAIL" not in text[0].split("Deviations")[0]
    whole = "\n".join(text)
    for section in pack.SECTIONS:
        assert section in whole, section
    assert "The sample requirement holds." in whole
    assert "25 passing, 0 failing, 0 invalid examples run" in whole
    results = json.loads((out / "results.json").read_text())
    assert results["passed"] is True
    assert all(check["ok"] for check in results["iq"])
    evidence = {t["nodeid"].split("::")[1]: t for t in results["oq"]["tests"]}
    assert evidence["test_a_sample_property"]["hypothesis"]["passing"] == 25
    assert evidence["test_a_sample_that_passes"]["doc"].startswith("The sample requirement")
    # URS-19 is high-risk: each of its requirements in the selection is traced to a
    # passing test, in the results and in the matrix.
    assert results["oq"]["urs_status"]["URS-19"] == "PASS"
    passing = "tests/validation/oq_samples/sample_passing.py::test_a_sample_that_passes"
    assert f"| URS-19 | P60 | {passing} | passed |" in (out / "traceability.md").read_text()
    run = ValidationRun.objects.get()
    assert run.outcome == RunOutcome.PASS
    assert run.pdf_sha256


@pytest.mark.requirement("P60", "P62")
def test_a_high_risk_item_without_a_passing_test_fails_the_pack(production, tmp_path):
    """Every high-risk URS item must be traced to a passing test. Steps: validate with a
    selection whose only test of P60 (high-risk URS-19) is skipped; the command exits
    non-zero; page 1 says FAIL and names URS-19; the matrix shows the skip."""
    out = tmp_path / "pack"
    code, _ = validate(out, "sample_skipped.py")
    assert code == 1
    first = pages(out)[0]
    assert "VALIDATION FAIL" in first
    assert "OQ URS-19: FAIL" in first
    results = json.loads((out / "results.json").read_text())
    assert results["oq"]["requirement_status"]["P60"] == "NO TEST"
    skipped = "tests/validation/oq_samples/sample_skipped.py::test_a_sample_that_is_skipped"
    assert f"| URS-19 | P60 | {skipped} | skipped |" in (out / "traceability.md").read_text()


@pytest.mark.requirement("P60")
def test_a_failing_test_fails_the_pack_and_page_one_says_so(production, tmp_path):
    """Steps: validate with a selection holding a failing test; the command exits
    non-zero; page 1 says FAIL and names the failing test as a deviation; the
    traceability matrix shows the failure against its URS item."""
    out = tmp_path / "pack"
    code, _ = validate(out, "sample_passing.py", "sample_failing.py")
    assert code == 1
    first = pages(out)[0]
    assert "VALIDATION FAIL" in first
    assert "test_a_sample_that_fails" in first
    failing = "tests/validation/oq_samples/sample_failing.py::test_a_sample_that_fails"
    assert f"| URS-19 | P60 | {failing} | failed |" in (out / "traceability.md").read_text()
    assert signature_status(out).intact
    assert ValidationRun.objects.get().outcome == RunOutcome.FAIL


@pytest.mark.requirement("P60", "A2")
def test_a_dropped_append_only_trigger_fails_the_pack_and_page_one_says_so(production, tmp_path):
    """Steps: drop the UPDATE trigger of the training records; validate (IQ only);
    the command exits non-zero and page 1 says FAIL naming the missing trigger."""
    statements = trigger_statements(connection.vendor, "training_trainingrecord", drop=True)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    out = tmp_path / "pack"
    code, _ = validate(out, no_oq=True)
    assert code == 1
    first = pages(out)[0]
    assert "VALIDATION FAIL" in first
    assert "training_trainingrecord" in first
    assert "IQ-07" in first


@pytest.mark.requirement("P60", "P63")
def test_the_person_who_ran_it_signs_validation_executed(production, tmp_path, qa, monkeypatch):
    """Steps: validate with --signer and the QA approver's password; the run carries
    their 'Validation executed' signature, printed in the PDF's signature section."""
    from tests.personas import PASSWORD

    monkeypatch.setenv("QUALIFY_VALIDATE_PASSWORD", PASSWORD)
    out = tmp_path / "pack"
    code, said = validate(out, no_oq=True, signer=qa.username)
    assert code == 0, said
    run = ValidationRun.objects.get()
    (signature,) = signatures_of(run)
    assert signature.meaning == "executed"
    assert signature.signer == qa
    assert signature.manifestation in "\n".join(pages(out)[:2]).replace("\n", " ")
