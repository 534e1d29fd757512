"""The inspector's evidence taken away: the auditor answers "Was this person qualified?"
on the Reports page, downloads its signed PDF and the person's employee training file,
and each file says, in searchable text, who, which document, the answer, the signature
manifestations and the audit checkpoint (tree size and root) it rests on."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.reports.pdftext import pdf_text

OPERATOR = "E1001"  # Olivia Ortega, the demo filling operator (qualify/seed/logins.py)
DOCUMENT = "SOP-014"  # Operation of filling line 2: she is trained on its version in force

TREE_SIZE = re.compile(r"^Audit checkpoint tree size: (\d+)$", re.M)
ROOT = re.compile(r"^Audit checkpoint root \(SHA-256\): ([0-9a-f]{64})$", re.M)


def _download_pdf(page) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF", exact=True).click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    return Path(download.path()).read_bytes()


def _checkpoint(text: str) -> tuple[int, str]:
    size, root = TREE_SIZE.search(text), ROOT.search(text)
    assert size, "the PDF header gives no audit checkpoint tree size"
    assert root, "the PDF header gives no audit checkpoint root"
    return int(size.group(1)), root.group(1)


@pytest.mark.requirement("Q4", "S1", "A3")
def test_the_auditor_takes_away_the_answer_and_the_employee_file_as_pdf(page, app_url):
    login(page, app_url, "auditor")
    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.get_by_role("link", name="Was this person qualified?").click()
    page.get_by_label(re.compile("^Person")).fill(OPERATOR)
    page.get_by_label(re.compile("^Document")).fill(DOCUMENT)
    page.get_by_role("button", name="Show").click()
    answer = page.locator("section.panel", has=page.get_by_role("heading", name="Answer"))
    answer.wait_for()
    expect(answer.get_by_text("Yes: qualified")).to_be_visible()

    text = pdf_text(_download_pdf(page))
    assert "Report: Was this person qualified? [qualified]" in text
    assert f"Person: Olivia Ortega ({OPERATOR})" in text
    assert re.search(rf"^Document: {DOCUMENT} \S", text, re.M)
    assert "Answer: Yes: qualified" in text
    assert re.search(rf"^Version in force: {DOCUMENT} rev \d+$", text, re.M)
    # The trainee's signature manifestation in words (S1): name, UTC time and meaning.
    assert re.search(
        r"Signed by Olivia Ortega \(operator\), \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, "
        r"meaning: Read and understood",
        text,
    )
    answered_at = _checkpoint(text)

    # The employee file of the same person, from the Reports list.
    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.get_by_role("link", name="Employee training file").click()
    page.get_by_label(re.compile("^Person")).fill(OPERATOR)
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Answer").wait_for()

    text = pdf_text(_download_pdf(page))
    assert "Report: Employee training file [employee-file]" in text
    assert f"Person: Olivia Ortega ({OPERATOR})" in text
    assert re.search(
        rf"Requirement: RU-{DOCUMENT} · Training record: \d+ · Version: {DOCUMENT} rev", text
    )
    filed_at = _checkpoint(text)
    # Only the first download's own audit event came between the two, and an export
    # event does not change a figure, so the file rests on the same checkpoint.
    assert filed_at == answered_at
