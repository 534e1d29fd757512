"""A CAPA is not offered for closing while its action is open, and says why; it closes once
the action is verified."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, login
from tests.browser.lookup import pick


def signing(page, username: str) -> None:
    box = page.locator("fieldset.signing").last
    user_id = box.get_by_label("User id")
    if user_id.count():
        user_id.fill(username)
    box.get_by_label("Password").fill(DEMO_PASSWORD)


@pytest.mark.requirement("E2", "S1")
def test_a_capa_refuses_to_close_then_closes(page, app_url):
    login(page, app_url, "qa")
    page.goto(f"{app_url}/quality/capa/new/")
    page.get_by_label("CAPA number").fill("CAPA-2026-901")
    page.get_by_label("Source", exact=True).select_option("audit_finding")
    page.get_by_label("Problem statement").fill("Stopper bowl left unattended during set-up")
    page.get_by_label("Root cause category").select_option("equipment")
    page.get_by_role("button", name="Raise").click()
    page.get_by_text("CAPA-2026-901 raised.").wait_for()

    page.get_by_role("link", name="Add an action").click()
    page.get_by_label("Description").fill("Fit an interlock to the stopper bowl")
    pick(page, "Owner", "Quinn", "Quinn Adebayo (qa)")
    page.get_by_label("Due").fill("2030-01-31T12:00")
    page.get_by_role("button", name="Add the action").click()
    page.get_by_text("Action added to CAPA-2026-901.").wait_for()

    # E2: closing is not offered while the action is open, and the page says what is open
    # before anyone types a password.
    expect(page.get_by_text("Closing is offered once nothing above is open.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign and close")).to_have_count(0)
    expect(page.locator("ul.refusal li").first).to_be_visible()

    page.get_by_role("link", name="Complete and verify").click()
    page.get_by_label("Verification comment").fill("Interlock fitted and tested")
    signing(page, "qa")
    page.get_by_role("button", name="Sign and complete").click()
    page.get_by_text("Action completed and verified, signed.").wait_for()
    expect(
        page.get_by_text(re.compile(r"Signed by Quinn Adebayo \(qa\).*Verified"))
    ).to_be_visible()

    page.get_by_label("Closing comment").fill("Interlock fitted; nothing left open")
    signing(page, "qa")
    page.get_by_role("button", name="Sign and close").click()
    page.get_by_text("CAPA-2026-901 closed, signed.").wait_for()
    expect(page.get_by_text(re.compile(r"Signed by Quinn Adebayo \(qa\).*Closed"))).to_be_visible()
