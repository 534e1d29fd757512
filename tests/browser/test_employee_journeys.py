"""An operator signs a read-and-understand in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, login


@pytest.mark.requirement("S1", "G7", "T3")
def test_an_operator_signs_a_read_and_understand(page, app_url):
    login(page, app_url, "operator")
    page.goto(f"{app_url}/employee/")
    links = page.locator("table.list a.button").evaluate_all("els => els.map(e => e.href)")
    assert links, "the operator has open training in the demo plant"
    for href in links:
        page.goto(href)
        if page.get_by_role("button", name="Sign: read and understood").count():
            break
    else:
        pytest.fail("no open read-and-understand assignment")
    assignment_url = page.url
    expect(page.locator(".document-text, iframe.document-frame").first).to_be_visible()
    expect(page.get_by_text("By signing you confirm you have read and understood")).to_be_visible()
    page.get_by_label("User id").fill("operator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign: read and understood").click()
    page.wait_for_url(re.compile(r"/employee/records/\d+/$"))
    assert (
        page.locator(".manifestation")
        .first.inner_text()
        .startswith("Signed by Olivia Ortega (operator)")
    )
    page.goto(f"{app_url}/employee/")
    expect(page.locator(f'a[href="{assignment_url.removeprefix(app_url)}"]')).to_have_count(0)
