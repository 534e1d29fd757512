"""The app serves its pages to a real browser, offline, with its own assets."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login


@pytest.mark.requirement("P1")
def test_an_employee_signs_in_and_sees_their_home_page(page, app_url):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    login(page, app_url, "operator")
    expect(page.get_by_role("heading", name="Welcome, Olivia Ortega")).to_be_visible()
    # Everything the page loads comes from the app itself: no CDN (air-gapped plants).
    assert requests
    assert all(url.startswith(app_url) for url in requests)
