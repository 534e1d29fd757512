"""A trainer schedules a classroom session, opens a signing window for the kiosk in the
room, two attendees sign on it one after the other (their passwords never typed into
the trainer's session), and the trainer closes the session with their signature."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, login


def _enrol(page, username: str) -> None:
    page.get_by_label("Find a person").fill(username)
    # Both are whole-page forms; waiting for each page keeps the Enrol button of an
    # earlier search from being the one clicked.
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    with page.expect_navigation():
        page.locator("#search-results button", has_text="Enrol").first.click()


@pytest.mark.requirement("P39", "P40", "S1", "Q4")
def test_a_trainer_opens_a_kiosk_window_and_two_attendees_sign_on_it(browser, page, app_url):
    login(page, app_url, "trainer")
    page.goto(f"{app_url}/trainer/sessions/")
    page.get_by_label("Classroom training").select_option(label="GMP-BASICS Annual GMP refresher")
    page.get_by_label("Room", exact=True).fill("Training room 2")
    page.get_by_label("Capacity (seats)").fill("2")
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_url(re.compile(r"/trainer/sessions/\d+/$"))
    session_url = page.url
    _enrol(page, "operator")
    _enrol(page, "coordinator")
    expect(page.locator("#seats")).to_have_text("2 of 2 taken")
    # A third person does not fit: refused, nothing saved.
    _enrol(page, "doccontrol")
    expect(page.get_by_text("This session is full (2 seats)")).to_be_visible()
    expect(page.locator("#seats")).to_have_text("2 of 2 taken")

    page.get_by_role("button", name="Open signing").click()
    kiosk_url = page.locator("#kiosk-address").get_attribute("href")
    assert "/trainer/kiosk/" in kiosk_url

    # The trainer's own browser takes no passwords on the kiosk page.
    page.goto(kiosk_url)
    expect(page.get_by_text("This browser is signed in")).to_be_visible()

    kiosk = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    kiosk.goto(kiosk_url)
    expect(kiosk.get_by_text("Training room 2")).to_be_visible()
    # Someone not enrolled is refused (and audited).
    kiosk.get_by_label("Your user id").fill("doccontrol")
    kiosk.get_by_label("Your password").fill(DEMO_PASSWORD)
    kiosk.get_by_role("button", name="Sign: I attended").click()
    expect(kiosk.get_by_text("Nobody with this user id is enrolled")).to_be_visible()
    for username, name in (("operator", "Olivia Ortega"), ("coordinator", "Chloe Chen")):
        kiosk.get_by_label("Your user id").fill(username)
        kiosk.get_by_label("Your password").fill(DEMO_PASSWORD)
        kiosk.get_by_role("button", name="Sign: I attended").click()
        expect(kiosk.get_by_text(f"Thank you, {name}: your attendance is signed")).to_be_visible()
        # The form is empty again for the next attendee.
        assert kiosk.get_by_label("Your password").input_value() == ""
    expect(kiosk.locator("#roster li", has_text="signed")).to_have_count(2)

    page.goto(session_url)
    expect(page.locator("td", has_text="on the kiosk")).to_have_count(2)
    page.locator("#id_close-username").fill("trainer")
    page.locator("#id_close-password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign and close the session").click()
    expect(page.get_by_text("Session closed: 2 attendee record(s) signed by you")).to_be_visible()

    # The closed window's address no longer takes signatures.
    kiosk.goto(kiosk_url)
    expect(kiosk.get_by_text("This signing window is closed")).to_be_visible()
    expect(kiosk.get_by_role("button", name="Sign: I attended")).to_have_count(0)
    kiosk.context.close()
