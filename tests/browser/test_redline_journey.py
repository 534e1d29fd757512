"""Delta training in a real browser (L3, P42): a revised SOP shows its redline
against the version the operator was last trained on, and the operator signs."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, login


@pytest.mark.requirement("L3", "P42", "S1")
def test_a_revised_sop_shows_its_redline_and_the_operator_signs(page, app_url):
    login(page, app_url, "operator")
    page.goto(f"{app_url}/employee/")
    links = page.locator("table.list a.button").evaluate_all("els => els.map(e => e.href)")
    assert links, "the operator has open training in the demo plant"
    for href in links:
        page.goto(href)
        if (
            page.locator("#redline").count()
            and page.get_by_role("button", name="Sign: read and understood").count()
        ):
            break
    else:
        pytest.fail("no open revision with a redline for the operator in the demo plant")
    redline = page.locator("#redline")
    heading = redline.get_by_role("heading", level=2).inner_text()
    assert re.match(r"Changes since rev \S+, the version you were last trained on", heading)
    expect(redline.locator("ins").first).to_be_visible()
    expect(redline.locator("del").first).to_be_visible()
    # Changed sections come first, then the whole document.
    expect(page.locator(".redline-section").first).to_be_visible()
    expect(page.locator("#doc-title")).to_be_visible()
    since = re.search(r"Changes since rev (\S+),", heading).group(1)
    page.get_by_label("User id").fill("operator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign: read and understood").click()
    page.wait_for_url(re.compile(r"/employee/records/\d+/$"))
    assert (
        page.locator(".manifestation")
        .first.inner_text()
        .startswith("Signed by Olivia Ortega (operator)")
    )
    shown = page.locator("dt:has-text('Changes shown') + dd").inner_text()
    assert f"rev {since}" in shown
