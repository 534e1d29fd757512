"""Five wrong passwords lock an account; an administrator unlocks it with a reason."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login


@pytest.mark.requirement("U1", "P13", "P23")
def test_five_wrong_passwords_lock_an_account_and_an_administrator_unlocks_it(
    browser, page, app_url
):
    for _ in range(5):
        login(page, app_url, "operator", "not-the-password")
    # A wrong password never tells whether the account exists or is locked (P23)...
    expect(page.get_by_text("Enter a correct user id and password")).to_be_visible()
    expect(page.get_by_text("This account is locked")).not_to_be_visible()
    # ...only the right password learns of the lock.
    login(page, app_url, "operator")
    expect(page.get_by_text("This account is locked after 5 failed attempts")).to_be_visible()

    admin = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    login(admin, app_url, "admin")
    admin.get_by_label("Show").select_option("locked")
    admin.get_by_role("button", name="Filter").click()
    admin.get_by_role("link", name="operator", exact=True).click()
    admin.get_by_label("Reason").first.fill("Operator confirmed the failed attempts by phone")
    admin.get_by_role("button", name="Unlock").click()
    expect(admin.get_by_text("operator is unlocked.")).to_be_visible()
    admin.context.close()

    login(page, app_url, "operator")
    expect(page.get_by_role("heading", name="Welcome, Olivia Ortega")).to_be_visible()
