"""`make screenshots`: the key pages of the demo plant saved as PNG under
docs/screenshots/, at a 1366x768 terminal and two at phone width (390x844).
Skipped unless pytest is given --screenshots; not run in CI."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import DEMO_PASSWORD, REPO, TIMEOUT_MS, login

pytestmark = pytest.mark.screenshots

OUT = REPO / "docs" / "screenshots"
TERMINAL = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def shot(page, name: str, *, at=None) -> Path:
    """The viewport, scrolled to `at` (a locator) when given."""
    OUT.mkdir(parents=True, exist_ok=True)
    if at is not None:
        at.scroll_into_view_if_needed()
        at.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def signing(page, username: str) -> None:
    box = page.locator("fieldset.signing").last
    user_id = box.get_by_label("User id")
    if user_id.count():
        user_id.fill(username)
    box.get_by_label("Password").fill(DEMO_PASSWORD)


def open_reading(page, app_url: str) -> None:
    page.goto(f"{app_url}/employee/")
    links = page.locator("table.list a.button").evaluate_all("els => els.map(e => e.href)")
    for href in links:
        page.goto(href)
        if page.get_by_role("button", name="Sign: read and understood").count():
            return
    pytest.fail("no open read-and-understand assignment in the demo plant")


def test_key_pages(browser, app_url):
    terminal = browser.new_context(viewport=TERMINAL)
    page = terminal.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    # A revision of SOP-014 routed to QA, who sees its impact before approving it;
    # the operator then finds it in their training.
    login(page, app_url, "doccontrol")
    page.goto(f"{app_url}/documents/SOP-014/")
    shown = (
        page.locator("table").get_by_role("link", name=re.compile(r"^rev \d+$")).all_inner_texts()
    )
    revision = str(max(int(text.split()[1]) for text in shown) + 1)
    page.get_by_role("link", name="Upload a new revision").click()
    page.get_by_label("Revision", exact=True).fill(revision)
    page.get_by_label("Change summary").fill("Needle change interval shortened to 4 hours")
    page.get_by_label("Or the text of the revision").fill("1. Change the needles every 4 hours.")
    page.get_by_role("button", name="Save draft").click()
    signing(page, "doccontrol")
    page.get_by_role("button", name="Sign and submit for review").click()
    page.get_by_text("Submitted for review, signed as author.").wait_for()
    version_url = page.url
    page.get_by_role("button", name="Sign out").click()
    login(page, app_url, "qa.reviewer")
    page.goto(version_url)
    page.get_by_label("Review comment").fill("Checked against the line trial")
    signing(page, "qa.reviewer")
    page.get_by_role("button", name="Sign the review").click()
    page.get_by_text("Review signed.").wait_for()
    page.get_by_role("button", name="Sign out").click()
    login(page, app_url, "qa")
    page.goto(version_url)
    page.get_by_role("link", name="Go to approval (impact preview)").click()
    page.locator("#impact").wait_for()
    shot(page, "03-qa-approval-impact")
    effective = dt.datetime.now(ZoneInfo("Europe/Dublin")) + dt.timedelta(days=45)
    page.get_by_label("Effective from").fill(effective.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Effective from").dispatch_event("change")
    page.locator("#impact").get_by_text(re.compile(f"due by {effective:%Y-%m-%d}")).wait_for()
    signing(page, "qa")
    page.get_by_role("button", name="Sign and approve").click()
    page.get_by_text("approved, signed").wait_for()
    page.get_by_role("button", name="Sign out").click()

    # The operator: my training, then an SOP to read and sign.
    login(page, app_url, "operator")
    page.goto(f"{app_url}/employee/")
    shot(page, "01-operator-my-training")
    open_reading(page, app_url)
    shot(page, "02-read-and-sign")
    page.get_by_role("button", name="Sign out").click()

    # The coordinator: the matrix and the compliance dashboard.
    login(page, app_url, "coordinator")
    page.goto(f"{app_url}/coordinator/matrix/")
    shot(page, "04-coordinator-matrix")
    page.goto(f"{app_url}/coordinator/compliance/")
    shot(page, "05-compliance-dashboard")
    page.get_by_role("button", name="Sign out").click()

    # The inspector's question and a record's audit trail.
    login(page, app_url, "auditor")
    page.get_by_role("link", name="Qualified?").click()
    page.get_by_label(re.compile("^Person")).fill("operator")
    page.get_by_label("Document number").fill("SOP-014")
    page.get_by_role("button", name="Answer").click()
    page.locator("section.answer").wait_for()
    shot(page, "07-inspector-answer")
    page.goto(f"{app_url}/documents/SOP-014/")
    page.locator("#main").get_by_role("link", name="Audit trail").click()
    shot(page, "08-audit-trail")
    page.get_by_role("button", name="Sign out").click()

    # QA: a CAPA's training picture, then a revision's approval with its impact.
    login(page, app_url, "qa")
    page.goto(f"{app_url}/quality/capas/")
    for href in page.locator("table a").evaluate_all("els => els.map(e => e.href)"):
        page.goto(href)
        if page.locator("table").last.locator("tbody tr td").count() > 1:
            break
    shot(page, "06-capa-training-picture", at=page.get_by_role("heading", name="Actions"))
    page.get_by_role("button", name="Sign out").click()

    terminal.close()

    # At phone width: the operator's training and the page that signs it.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    login(page, app_url, "operator")
    page.goto(f"{app_url}/employee/")
    shot(page, "09-phone-my-training")
    open_reading(page, app_url)
    shot(page, "10-phone-read-and-sign", at=page.locator("#sign-dialog"))
    phone.close()

    for path in OUT.glob("*.png"):
        assert path.stat().st_size < 250_000, f"{path.name} is {path.stat().st_size} bytes"
