"""Document control in a real browser: a revision uploaded, reviewed, approved after
the impact preview, and found by an affected operator."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, login


def logout(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def signing(page, username: str) -> None:
    """Fill the signing dialog: the first signing in a session asks for the user id (S1)."""
    box = page.locator("fieldset.signing").last
    user_id = box.get_by_label("User id")
    if user_id.count():
        user_id.fill(username)
    box.get_by_label("Password").fill(DEMO_PASSWORD)


@pytest.mark.requirement("G3", "Q1", "S1", "T3")
def test_a_revision_is_uploaded_reviewed_approved_after_its_impact_and_assigned(page, app_url):
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
    page.get_by_text(f"Revision {revision} drafted").wait_for()
    signing(page, "doccontrol")
    page.get_by_role("button", name="Sign and submit for review").click()
    page.get_by_text("Submitted for review, signed as author.").wait_for()
    authored = re.compile(r"Signed by Dmitri Dubois \(doccontrol\).*Authored")
    expect(page.get_by_text(authored)).to_be_visible()
    version_url = page.url
    logout(page)

    login(page, app_url, "qa.reviewer")
    page.goto(version_url)
    page.get_by_label("Review comment").fill("Checked against the line trial")
    signing(page, "qa.reviewer")
    page.get_by_role("button", name="Sign the review").click()
    page.get_by_text("Review signed.").wait_for()
    logout(page)

    login(page, app_url, "qa")
    page.goto(version_url)
    page.get_by_role("link", name="Go to approval (impact preview)").click()
    impact = page.locator("#impact")
    expect(impact.get_by_text(re.compile(r"will be assigned"))).to_be_visible()
    expect(impact.get_by_text("FILL-OP")).to_be_visible()
    expect(impact.get_by_text("CRK").first).to_be_visible()
    # Effective after the training window (and after any revision already due to take
    # effect); the preview is redrawn for the chosen date (htmx).
    effective = dt.datetime.now(ZoneInfo("Europe/Dublin")) + dt.timedelta(days=60)
    page.get_by_label("Effective from").fill(effective.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Effective from").dispatch_event("change")
    impact.get_by_text(re.compile(f"due by {effective:%Y-%m-%d}")).wait_for()
    signing(page, "qa")
    page.get_by_role("button", name="Sign and approve").click()
    page.get_by_text("approved, signed").wait_for()
    expect(
        page.get_by_text(re.compile(r"Signed by Quinn Adebayo \(qa\).*Approved"))
    ).to_be_visible()
    logout(page)

    login(page, app_url, "operator")
    page.goto(f"{app_url}/employee/")
    expect(page.get_by_text(f"SOP-014 revised to rev {revision}").first).to_be_visible()
