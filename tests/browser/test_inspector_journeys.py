"""The inspector's question, answered with the evidence."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login


@pytest.mark.requirement("Q4", "Q7", "S1", "T3", "A4")
def test_the_inspectors_question_is_answered_with_the_evidence(page, app_url):
    login(page, app_url, "auditor")
    page.get_by_role("link", name="Qualified?").click()
    page.get_by_label(re.compile("^Person")).fill("operator")
    page.get_by_label("Document number").fill("SOP-014")
    page.get_by_role("button", name="Answer").click()
    answer = page.locator("section.answer")
    answer.wait_for()
    expect(answer.get_by_role("heading", name=re.compile(r"^(Yes|No):"))).to_be_visible()
    expect(answer.get_by_text(re.compile(r"Version in force then: rev \d+"))).to_be_visible()
    expect(answer.get_by_text(re.compile(r"Signed by .* meaning: ")).first).to_be_visible()
    expect(answer.locator(".badge", has_text=re.compile("^(valid|broken)$")).first).to_be_visible()

    # From the evidence to the document's audit trail, with its verification status.
    page.goto(f"{app_url}/documents/SOP-014/")
    page.locator("#main").get_by_role("link", name="Audit trail").click()
    # expect() waits for the page the click opens; is_visible() looked at once, and on a
    # loaded CI host it once looked before the audit page had arrived.
    verified = page.get_by_text(re.compile(r"Verification of this record:\s*intact"))
    expect(verified).to_be_visible()
    expect(page.get_by_role("cell", name="document.created")).to_be_visible()
