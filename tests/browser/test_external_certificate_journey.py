"""A person made a trainer cannot open a session's signing until qualified; they submit
their train-the-trainer certificate, a coordinator verifies it with a signature, the
person signs the record, and the same person now opens signing as a qualified trainer."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests import files
from tests.browser.conftest import DEMO_PASSWORD, login

TTT = "TRN-TRAINER Qualified trainer (train-the-trainer)"


def _open_signing_attempt(page, app_url) -> None:
    """As the operator made trainer: a GMP-BASICS session now, one attendee, open signing."""
    page.goto(f"{app_url}/trainer/sessions/")
    page.get_by_label("Classroom training").select_option(label="GMP-BASICS Annual GMP refresher")
    page.get_by_label("Room", exact=True).fill("Line 2 briefing room")
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_url(re.compile(r"/trainer/sessions/\d+/$"))
    page.get_by_label("Find a person").fill("coordinator")
    # Whole-page forms, each waited for: "Open signing" is on the page before the
    # enrolment too, and clicking it early would leave the session without an attendee.
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    with page.expect_navigation():
        page.locator("#search-results button", has_text="Enrol").first.click()
    page.get_by_role("button", name="Open signing").click()


@pytest.mark.requirement("P38", "P41", "Q4", "S1")
def test_a_coordinator_verifies_an_external_certificate_and_the_person_becomes_a_qualified_trainer(
    browser, page, app_url
):
    # The administrator gives Olivia the trainer role.
    admin = browser.new_context().new_page()
    login(admin, app_url, "admin")
    admin.goto(f"{app_url}/administration/users/")
    admin.get_by_role("link", name="operator", exact=True).click()
    roles = admin.get_by_role("region", name="Roles", exact=True)
    roles.get_by_label("Trainer").check()
    roles.get_by_label("Reason").fill("Becomes a line trainer")
    # The answer is waited for before the browser closes, or the save could be cut off.
    with admin.expect_navigation():
        roles.get_by_role("button", name="Save roles").click()
    admin.context.close()

    # Not yet qualified to train: signing for a session is refused.
    login(page, app_url, "operator")
    _open_signing_attempt(page, app_url)
    expect(page.get_by_text("was not qualified on TRN-TRAINER")).to_be_visible()

    # She submits her certificate.
    page.goto(f"{app_url}/employee/certificates/new/")
    page.get_by_label("Training").select_option(label=TTT)
    page.get_by_label("Issued by").fill("GMP Training Academy")
    page.get_by_label("Completed on").fill((dt.date.today() - dt.timedelta(days=3)).isoformat())
    page.get_by_label("Valid until").fill((dt.date.today() + dt.timedelta(days=900)).isoformat())
    # A file that is not a PDF or an image is refused first, nothing saved.
    page.get_by_label("Certificate (PDF or image)").set_input_files(
        {"name": "ttt.txt", "mimeType": "text/plain", "buffer": b"I passed, honestly."}
    )
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_text("A certificate is a PDF or an image")).to_be_visible()
    page.get_by_label("Completed on").fill((dt.date.today() - dt.timedelta(days=3)).isoformat())
    page.get_by_label("Certificate (PDF or image)").set_input_files(
        {"name": "ttt.pdf", "mimeType": "application/pdf", "buffer": files.pdf("TTT passed")}
    )
    page.get_by_role("button", name="Submit for verification").click()
    page.wait_for_url(re.compile(r"/employee/certificates/\d+/$"))
    certificate_url = page.url
    expect(page.locator("#certificate-status")).to_have_text("Submitted, awaiting verification")

    # The coordinator verifies it against the original and signs.
    coordinator = browser.new_context().new_page()
    login(coordinator, app_url, "coordinator")
    coordinator.goto(f"{app_url}/coordinator/certificates/")
    coordinator.get_by_role("link", name="Olivia Ortega").first.click()
    coordinator.get_by_label("User id").fill("coordinator")
    coordinator.get_by_label("Password").fill(DEMO_PASSWORD)
    coordinator.get_by_role("button", name="Sign: verified").click()
    expect(coordinator.locator("#certificate-status")).to_have_text("Verified")
    assert (
        coordinator.locator(".manifestation")
        .first.inner_text()
        .startswith("Signed by Chloe Chen (coordinator)")
    )
    coordinator.context.close()

    # Olivia signs her training record.
    page.goto(certificate_url)
    page.get_by_label("User id").fill("operator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign: completed training").click()
    page.wait_for_url(re.compile(r"/employee/records/\d+/$"))

    # Now a qualified trainer: the same step succeeds.
    _open_signing_attempt(page, app_url)
    expect(page.get_by_text("Signing is open until").first).to_be_visible()
    expect(page.locator("#kiosk-address")).to_be_visible()
