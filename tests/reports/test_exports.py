"""Inspection reports: the figures in CSV, XLSX and the signed PDF agree with each other
and with the engine (Q9), rest on a signed audit checkpoint with inclusion proofs (A3),
and each export is an audit event with the file's SHA-256 (A5 family, issue 13)."""

import csv
import hashlib
import io
import re

import openpyxl
import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from qualify.audit import merkle
from qualify.audit.models import AuditEvent
from qualify.reports import registry, services, signing
from qualify.reports.registry import Column, Report
from qualify.training import engine
from tests.reports.pdftext import pdf_text


class Discard(io.RawIOBase):
    """A sink that keeps nothing, so only the export's own memory is measured."""

    def writable(self):
        return True

    def write(self, data):
        return len(data)


def export(name, raw, user, fmt):
    request = services.report_request(name, raw, user=user)
    sink = io.BytesIO()
    produced = services.report_export(actor=user, request=request, fmt=fmt, sink=sink)
    return sink.getvalue(), produced


def csv_rows(data: bytes) -> list[dict]:
    lines = [ln for ln in data.decode("utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines))


def xlsx_rows(data: bytes) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Data"]
    values = list(sheet.iter_rows(values_only=True))
    return [
        {k: "" if v is None else str(v) for k, v in zip(values[0], row, strict=True)}
        for row in values[1:]
    ]


def validate(data: bytes):
    cert = load_cert_from_pemder(str(signing.ensure_certificate()[1]))
    signature = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[cert]))


@pytest.mark.requirement("Q4", "Q9", "S1", "A3", "P19")
def test_qualified_figures_agree_in_every_format_and_with_the_engine(situation):
    s = situation
    raw = {"person": s.ann.employee_number, "document": "SOP-200"}
    answer = engine.document_qualification(s.ann, s.sop200, at=services.timezone.now())
    assert answer.qualified
    data_csv, _ = export("qualified", raw, s.auditor, "csv")
    data_xlsx, _ = export("qualified", raw, s.auditor, "xlsx")
    data_pdf, produced = export("qualified", raw, s.auditor, "pdf")
    rows_csv, rows_xlsx = csv_rows(data_csv), xlsx_rows(data_xlsx)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "audit_event"} for r in rows]  # noqa: E731
    assert strip(rows_csv) == strip(rows_xlsx)
    requirement = [r for r in rows_csv if r["fact"] == "requirement"]
    assert [(r["requirement"], r["qualified"]) for r in requirement] == [("RQ-OJT", "yes")]
    record = next(r for r in rows_csv if r["fact"] == "record")
    assert record["record"] == str(answer.requirements[0].record.pk)
    signatures = [r for r in rows_csv if r["fact"].startswith("signature")]
    assert {r["signer"] for r in signatures} == {
        f"{s.ann.user.printed_name} ({s.ann.user.username})",
        f"{s.tom.user.printed_name} ({s.tom.user.username})",
    }
    trainer = next(r for r in rows_csv if r["fact"] == "trainer record")
    assert (trainer["requirement"], trainer["qualified"]) == ("TTT", "yes")
    # The PDF says the same, in words, searchable.
    text = pdf_text(data_pdf)
    assert "Answer: Yes: qualified" in text
    for row in signatures:
        assert row["manifestation"].split(",")[0] in text  # "Signed by <name> (<user id>)"
    pages = re.findall(r"Page (\d+) of\s*\n?(\d+)", text)
    assert pages
    assert all(total == str(len(pages)) for _, total in pages)
    # Signed (PAdES) and valid; one changed byte breaks it.
    status = validate(data_pdf)
    assert status.intact
    assert status.valid
    assert status.bottom_line
    broken = bytearray(data_pdf)
    at = data_pdf.index(b"stream\n", 200) + 20
    broken[at] ^= 0x01
    assert not validate(bytes(broken)).intact
    # The export is an audit event with the file's SHA-256.
    event = AuditEvent.objects.filter(action="report.exported").order_by("-seq").first()
    assert event.data["detail"]["sha256"] == hashlib.sha256(data_pdf).hexdigest()
    assert event.data["detail"]["parameters"] == raw
    assert produced.sha256 == hashlib.sha256(data_pdf).hexdigest()


@pytest.mark.requirement("A3")
def test_each_cited_event_has_an_inclusion_proof_to_the_header_checkpoint(situation):
    s = situation
    data, produced = export(
        "qualified", {"person": s.ann.employee_number, "document": "SOP-200"}, s.auditor, "csv"
    )
    checkpoint = produced.header.checkpoint
    proofs = re.findall(
        r"# Inclusion proof of event (\d+): leaf (\w+); path ([\w ]*)", data.decode()
    )
    assert proofs
    for seq, leaf, path in proofs:
        event = AuditEvent.objects.get(seq=int(seq))
        assert merkle.leaf_hash(event.entry.encode()).hex() == leaf
        assert merkle.verify_inclusion(
            int(seq) - 1,
            checkpoint.tree_size,
            bytes.fromhex(leaf),
            [bytes.fromhex(p) for p in path.split()],
            bytes.fromhex(checkpoint.root_hash),
        )


@pytest.mark.requirement("R1", "Q7", "P19")
def test_employee_file_marks_the_correction_with_both_records_and_the_reason(situation):
    s = situation
    data_csv, _ = export("employee-file", {"person": s.carl.employee_number}, s.coordinator, "csv")
    data_pdf, _ = export("employee-file", {"person": s.carl.employee_number}, s.coordinator, "pdf")
    rows = csv_rows(data_csv)
    [correction] = [r for r in rows if r["fact"] == "correction"]
    assert correction["corrects"] == str(s.carl_record.pk)
    assert correction["record"] == str(s.corrected.pk)
    assert correction["correction_reason"] == "Notes were typed on the wrong record"
    records = {r["record"] for r in rows if r["fact"] == "record"}
    assert records == {str(s.carl_record.pk), str(s.corrected.pk)}
    assert "modified after original entry" in pdf_text(data_pdf)


@pytest.mark.requirement("E1", "E5", "Q9", "P19")
def test_performances_put_the_exception_first_and_agree_with_the_gate(situation):
    s = situation
    data, _ = export("performances", {"document": "SOP-100"}, s.qa, "csv")
    rows = csv_rows(data)
    assert [r["person"] for r in rows] == ["Bob Operator", "Ann Operator"]
    assert rows[0]["exception"] == "yes"
    assert rows[0]["gate_qualified"] == "no"
    assert rows[0]["deviation"].startswith("DEV-")
    assert rows[1]["gate_qualified"] == "yes"
    assert rows[1]["qualified_known_now"] == "yes"


@pytest.mark.requirement("U2", "P15", "P19")
def test_an_employee_gets_their_own_file_only(situation):
    s = situation
    own = services.report_request("employee-file", {}, user=s.ann.user)
    assert own.params["person"] == s.ann
    with pytest.raises(services.params.BadParameters):
        services.report_request("employee-file", {"person": s.bob.employee_number}, user=s.ann.user)
    with pytest.raises(services.PermissionDenied):
        services.report_request(
            "qualified", {"person": s.ann.employee_number, "document": "SOP-100"}, user=s.ann.user
        )


@pytest.mark.requirement("P19")
def test_formula_text_is_escaped_in_csv_and_xlsx(situation):

    class Hostile(Report):
        name, title, question = "hostile-test", "Hostile", "Cells that look like formulas"
        columns = (Column("text", "Text"),)

        def rows(self, request):
            for value in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "plain"):
                yield {"text": value}

    registry.register(Hostile)
    try:
        request = services.report_request("hostile-test", {}, user=None)
        sink = io.BytesIO()
        services.report_export(actor=None, request=request, fmt="csv", sink=sink)
        assert [r["text"] for r in csv_rows(sink.getvalue())] == [
            "'=1+1",
            "'+SUM(A1)",
            "'-2+3",
            "'@cmd",
            "plain",
        ]
        sink = io.BytesIO()
        services.report_export(
            actor=None,
            request=services.report_request("hostile-test", {}, user=None),
            fmt="xlsx",
            sink=sink,
        )
        sheet = openpyxl.load_workbook(io.BytesIO(sink.getvalue()))["Data"]
        cells = [c.value for c in sheet["A"][1:]]
        assert cells == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "plain"]
        assert all(c.data_type == "s" for c in sheet["A"][1:])
    finally:
        registry.REGISTRY.pop("hostile-test")


@pytest.mark.requirement("P19")
def test_a_huge_report_streams_in_flat_memory_and_numbers_its_pages(admin):
    import tracemalloc

    class Huge(Report):
        name, title, question = "huge-test", "Huge", "Many rows"
        columns = (Column("n", "N", "number"), Column("text", "Text"))

        def __init__(self, count=0):
            self.count = count

        def rows(self, request):
            for n in range(request.context.get("count", 0)):
                yield {"n": n, "text": f"row {n} " + "x" * 60}

    registry.register(Huge)
    try:
        peaks = {}
        for count in (2_000, 20_000):
            request = services.report_request("huge-test", {}, user=None)
            request.context["count"] = count
            tracemalloc.start()
            services.report_export(
                actor=None,
                request=request,
                fmt="csv",
                sink=Discard(),
            )
            peaks[count] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        # Ten times the rows, not ten times the memory: the rows stream.
        assert peaks[20_000] < 2 * peaks[2_000] + 1_000_000
        request = services.report_request("huge-test", {}, user=None)
        request.context["count"] = 3_000
        sink = io.BytesIO()
        services.report_export(actor=None, request=request, fmt="pdf", sink=sink)
        pages = re.findall(r"Page (\d+) of\s*\n?(\d+)", pdf_text(sink.getvalue()))
        assert len(pages) > 20
        assert {total for _, total in pages} == {str(len(pages))}
    finally:
        registry.REGISTRY.pop("huge-test")
